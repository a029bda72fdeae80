-- The single writer's fencing token. A server that takes the writer's lock bumps `epoch`; every commit then
-- proves, inside its own transaction, that the epoch is still its own. A writer that lost its lock (and was
-- replaced) commits nothing more.
CREATE TABLE writer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO writer (id, epoch) VALUES (1, 0);
