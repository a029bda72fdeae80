-- An idempotency record keeps the outcome a request had, not the HTTP answer it got: the booking it created,
-- the verdict and reasons of the decision, and the bookings it preempted or moved (ids, comma-separated). A
-- replay renders the answer again from these. Records written before (always a 201 with the created booking
-- as its JSON body) are converted; a record of any other status was never written, and is dropped.
DELETE FROM idempotency WHERE status <> 201;
ALTER TABLE idempotency
    ADD COLUMN booking_id BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN verdict TEXT NOT NULL DEFAULT '',
    ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN preempted TEXT NOT NULL DEFAULT '',
    ADD COLUMN moved TEXT NOT NULL DEFAULT '';
UPDATE idempotency SET
    booking_id = substr(response::json->>'id', 2)::bigint,
    verdict = response::json->>'verdict',
    reasons = coalesce((response::json->'reasons')::text, '[]'),
    preempted = coalesce((SELECT string_agg(substr(v, 2), ',' ORDER BY n)
                          FROM json_array_elements_text(response::json->'preempted') WITH ORDINALITY AS t(v, n)), ''),
    moved = coalesce((SELECT string_agg(substr(v, 2), ',' ORDER BY n)
                      FROM json_array_elements_text(response::json->'moved') WITH ORDINALITY AS t(v, n)), '');
ALTER TABLE idempotency DROP COLUMN status, DROP COLUMN response;
