-- The staff dashboard counts the open tickets of every client by level and
-- priority with their SLA state (store/dashboard.go). Open tickets are a small
-- part of all tickets (a few per cent of a million): this partial index holds
-- only them, with every column the count reads (status too), so that the count is an
-- index-only scan of the open tickets instead of a scan of the table. Its
-- WHERE is the query's (openTicketCond).
CREATE INDEX tickets_open_dashboard ON tickets (client_id, level, priority, sla_at_risk, sla_paused, owned_at,
    tto_due, ttr_due, tto_breached_at, ttr_breached_at, status)
    WHERE status NOT IN ('resolved', 'closed');
