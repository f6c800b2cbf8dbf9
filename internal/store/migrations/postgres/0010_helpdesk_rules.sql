-- Escalation rules of a client's service level (JSON list of
-- ticket.EscalationRule): at risk / breached → notify, raise level, reassign.
ALTER TABLE service_levels ADD COLUMN escalation_rules TEXT NOT NULL DEFAULT '[]';
