-- An idempotency record keeps the outcome a request had, not the HTTP answer it got: the booking it created,
-- the verdict and reasons of the decision, and the bookings it preempted or moved (ids, comma-separated). A
-- replay renders the answer again from these. Records written before (always a 201 with the created booking
-- as its JSON body) are converted; a record of any other status was never written, and is dropped.
DELETE FROM idempotency WHERE status <> 201;
ALTER TABLE idempotency ADD COLUMN booking_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE idempotency ADD COLUMN verdict TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';
ALTER TABLE idempotency ADD COLUMN preempted TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency ADD COLUMN moved TEXT NOT NULL DEFAULT '';
UPDATE idempotency SET
    booking_id = CAST(substr(json_extract(response, '$.id'), 2) AS INTEGER),
    verdict = json_extract(response, '$.verdict'),
    reasons = coalesce(json_extract(response, '$.reasons'), '[]'),
    preempted = coalesce((SELECT group_concat(substr(value, 2), ',') FROM json_each(response, '$.preempted')), ''),
    moved = coalesce((SELECT group_concat(substr(value, 2), ',') FROM json_each(response, '$.moved')), '');
ALTER TABLE idempotency DROP COLUMN status;
ALTER TABLE idempotency DROP COLUMN response;
