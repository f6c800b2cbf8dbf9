package store

import (
	"context"
	"fmt"

	"github.com/vigie-hq/vigie/internal/ticket"
)

// ReplyTemplates returns every reply template, by name then language.
func (db *DB) ReplyTemplates(ctx context.Context) ([]ticket.ReplyTemplate, error) {
	rows, err := db.query(ctx, `SELECT id, name, language, body, updated_at FROM reply_templates ORDER BY lower(name), language, id`)
	if err != nil {
		return nil, fmt.Errorf("list reply templates: %w", err)
	}
	return collect(rows, func(row interface{ Scan(...any) error }) (ticket.ReplyTemplate, error) {
		var rt ticket.ReplyTemplate
		err := row.Scan(&rt.ID, &rt.Name, &rt.Language, &rt.Body, &rt.Updated)
		rt.Updated = rt.Updated.UTC()
		return rt, translate(err)
	})
}

// SaveReplyTemplate inserts a template (ID 0) or replaces one; a missing one
// is ErrNotFound, a name already used in the language ErrConflict.
func (db *DB) SaveReplyTemplate(ctx context.Context, rt *ticket.ReplyTemplate) error {
	rt.Updated = utc(rt.Updated)
	if rt.ID == 0 {
		id, err := db.insert(ctx, `INSERT INTO reply_templates (name, language, body, updated_at) VALUES (?, ?, ?, ?)`, rt.Name, rt.Language, rt.Body, rt.Updated)
		if err != nil {
			return fmt.Errorf("add reply template: %w", err)
		}
		rt.ID = id
		return nil
	}
	if err := affected(db.exec(ctx, `UPDATE reply_templates SET name = ?, language = ?, body = ?, updated_at = ? WHERE id = ?`, rt.Name, rt.Language, rt.Body, rt.Updated, rt.ID)); err != nil {
		return fmt.Errorf("update reply template %d: %w", rt.ID, err)
	}
	return nil
}

// DeleteReplyTemplate removes a template; a missing one is ErrNotFound.
func (db *DB) DeleteReplyTemplate(ctx context.Context, id int64) error {
	if err := affected(db.exec(ctx, `DELETE FROM reply_templates WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("delete reply template %d: %w", id, err)
	}
	return nil
}
