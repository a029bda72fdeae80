-- The single writer's fencing token. A server that takes the writer's lock bumps `epoch`; every commit then
-- proves, inside its own transaction, that the epoch is still its own. A writer that lost its lock (and was
-- replaced) commits nothing more.
CREATE TABLE writer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO writer (id, epoch) VALUES (1, 0);

-- What a write probe rewrites while commits are failing (a full disk, say): a real write of a commit's size,
-- so the server turns healthy only once such a write goes through again.
CREATE TABLE probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    payload BLOB NOT NULL
);
