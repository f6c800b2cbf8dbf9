-- Full-text search over tickets: one document per ticket, its title, its
-- description and the bodies of its followups, kept up to date by the store
-- in the transaction that changes them (not by triggers, so that both
-- databases behave the same). The rowid is the ticket id.
--
-- Contentless (the text is already in tickets and followups), with
-- contentless_delete so that a changed ticket's document can be replaced.
-- The tokenizer ignores case and accents ("ecran" finds "écran").
CREATE VIRTUAL TABLE ticket_fts USING fts5 (
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO ticket_fts (rowid, body)
SELECT t.id, t.title || ' ' || t.description || ' ' || COALESCE((SELECT group_concat(f.body, ' ') FROM followups AS f WHERE f.ticket_id = t.id), '')
FROM tickets AS t;
