-- Notifications of supervision problems: the channels they go to (e-mail, webhooks,
-- Slack, Teams, Mattermost), the outbox of alerts waiting for their channel's next
-- message, and the messages sent (for the per-channel rate limit and the UI).

-- A channel of one client, or of every client with client_id NULL. target is the
-- comma-separated e-mail addresses or the URL; secret is the webhook's HMAC key.
-- min_state: warning or critical; hours: always, business or off_hours (the client's
-- business-hours calendar); on_problems / on_recoveries choose the events.
-- flush_gen numbers the channel's flush jobs: alerts join the job of the current
-- generation (waiting, running or retrying); a flush that is done raises it, so that
-- alerts queued from then on get a job of their own. flush_lease lets one flush at a
-- time send.
CREATE TABLE notification_channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id INTEGER REFERENCES clients (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    min_state TEXT NOT NULL,
    hours TEXT NOT NULL,
    on_problems INTEGER NOT NULL DEFAULT 1,
    on_recoveries INTEGER NOT NULL DEFAULT 1,
    enabled INTEGER NOT NULL DEFAULT 1,
    last_sent_at TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    flush_gen BIGINT NOT NULL DEFAULT 0,
    flush_lease TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX notification_channels_client ON notification_channels (client_id, id);

-- One message sent (or refused for good) to a channel; alerts counts the alerts it carried.
CREATE TABLE notification_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    sent_at TIMESTAMP NOT NULL,
    alerts INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notification_deliveries_channel ON notification_deliveries (channel_id, sent_at);

-- An alert for a channel: pending until the message carrying it is sent (sent) or
-- refused for good (failed). payload is the JSON of notify.Alert. event_id is the check
-- event it tells (0: none), once per channel: a notice handed over again adds nothing.
CREATE TABLE notification_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    delivery_id INTEGER REFERENCES notification_deliveries (id) ON DELETE SET NULL,
    error TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX notification_outbox_event ON notification_outbox (channel_id, event_id) WHERE event_id <> 0;
CREATE INDEX notification_outbox_pending ON notification_outbox (channel_id, id) WHERE status = 'pending';
CREATE INDEX notification_outbox_pending_age ON notification_outbox (created_at) WHERE status = 'pending';
