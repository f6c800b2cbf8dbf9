-- Full-text search over tickets: one document per ticket, its title, its
-- description and the bodies of its followups, kept up to date by the store
-- in the transaction that changes them (not by triggers, so that both
-- databases behave the same).
--
-- The store folds the text (lowercase, no accents: unaccent is an extension
-- that may not be installed) and stores it twice: stemmed by the 'french'
-- configuration ("imprimantes" finds "imprimante") and as whole words by
-- 'simple', which the prefix match of the last word of a query needs (the
-- stem of a word being typed is not a prefix of the stem of the word).
CREATE TABLE ticket_search (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    body TSVECTOR NOT NULL
);
CREATE INDEX ticket_search_body ON ticket_search USING GIN (body);

-- Existing tickets: tickets.search is already folded; followups are folded
-- here for the accents of French (the store folds every accent from now on).
INSERT INTO ticket_search (ticket_id, body)
SELECT t.id, to_tsvector('french', d.doc) || to_tsvector('simple', d.doc)
FROM tickets AS t
CROSS JOIN LATERAL (
    SELECT t.search || ' ' || translate(lower(COALESCE(string_agg(f.body, ' '), '')),
        'àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ',
        'aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuy') AS doc
    FROM followups AS f WHERE f.ticket_id = t.id
) AS d;
