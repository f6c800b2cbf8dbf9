-- SLA clocks follow the contract in force, no longer the client's service level.
--
-- (a) Every client with a service level but no contract is given an active,
-- open-ended contract carrying that service level's calendar and targets, so
-- that its tickets keep the clock they had. It starts the day before the UTC
-- date of the earliest of the client's creation and its first ticket: whatever
-- the client's time zone (UTC-12 to UTC+14), every existing ticket's local
-- creation date falls inside it. The service_levels columns calendar and
-- targets stay (nothing is dropped) but are no longer read for the clock; the
-- rest of the service level (at-risk share, pause statuses, escalation) still is.
INSERT INTO contracts (client_id, reference, title, start_date, end_date, renewal, state, calendar, targets,
    availability, support_mode, created_at, updated_at)
SELECT sl.client_id, 'SLA-REPRISE', 'Contrat repris du niveau de service',
    to_char((LEAST(c.created_at, COALESCE((SELECT MIN(t.created_at) FROM tickets t WHERE t.client_id = sl.client_id), c.created_at))
        AT TIME ZONE 'UTC')::date - 1, 'YYYY-MM-DD'),
    NULL, 'none', 'active', sl.calendar, sl.targets, 99.5, 'none', sl.updated_at, sl.updated_at
FROM service_levels sl
JOIN clients c ON c.id = sl.client_id
WHERE NOT EXISTS (SELECT 1 FROM contracts k WHERE k.client_id = sl.client_id);

-- (b) On each ticket: whether it is outside its contract's perimeter (no
-- contractual clock, billable) and why (a contract.ReasonCode, '' when in
-- perimeter), and the contract in force at the ticket's creation, whose clock
-- applies unless the ticket is out of perimeter (NULL: none in force). The
-- helpdesk sets them; the reports list out-of-perimeter work apart.
ALTER TABLE tickets ADD COLUMN out_of_perimeter BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tickets ADD COLUMN perimeter_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN contract_id BIGINT REFERENCES contracts (id) ON DELETE SET NULL;

-- The tickets of the migrated clients already follow their new contract.
UPDATE tickets SET contract_id = (SELECT k.id FROM contracts k WHERE k.client_id = tickets.client_id AND k.reference = 'SLA-REPRISE')
WHERE sla_covered AND contract_id IS NULL;

-- Open tickets are due for an SLA check at once: the helpdesk's next pass
-- (within 30 s of starting) gives each the contract in force at its creation
-- and its perimeter. Resolved and closed ones keep what they had.
UPDATE tickets SET sla_next_check = TIMESTAMPTZ '2000-01-01 00:00:00+00' WHERE status NOT IN ('resolved', 'closed');

-- A client's out-of-perimeter tickets by date, for the reports.
CREATE INDEX tickets_out_of_perimeter ON tickets (client_id, created_at) WHERE out_of_perimeter;
CREATE INDEX tickets_contract ON tickets (contract_id);
