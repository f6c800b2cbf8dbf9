package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vigie-hq/vigie/internal/contractdoc"
	"github.com/vigie-hq/vigie/internal/tenant"
)

var _ contractdoc.Store = (*DB)(nil)

const contractDocumentCols = `d.id, d.contract_id, d.name, d.declared_type, d.sniffed_type, d.size, d.sha256, d.file_key, d.uploaded_by, d.created_at`

func scanContractDocument(row interface{ Scan(...any) error }) (contractdoc.Document, error) {
	var (
		d        contractdoc.Document
		uploader sql.NullInt64
	)
	if err := row.Scan(&d.ID, &d.ContractID, &d.Name, &d.DeclaredType, &d.SniffedType, &d.Size, &d.SHA256, &d.Key, &uploader, &d.Created); err != nil {
		return contractdoc.Document{}, translate(err)
	}
	d.UploadedBy, d.Created = nullInt(uploader), d.Created.UTC()
	return d, nil
}

// AddContractDocument records a document whose file is already stored.
func (db *DB) AddContractDocument(ctx context.Context, d *contractdoc.Document) error {
	if d.Created.IsZero() {
		d.Created = now()
	}
	d.Created = utc(d.Created)
	id, err := db.insert(ctx, `INSERT INTO contract_documents (contract_id, name, declared_type, sniffed_type, size, sha256, file_key, uploaded_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ContractID, d.Name, d.DeclaredType, d.SniffedType, d.Size, d.SHA256, d.Key, d.UploadedBy, d.Created)
	if err != nil {
		return err
	}
	d.ID = id
	return nil
}

// ContractDocument returns a document of a contract whose client the scope sees.
func (db *DB) ContractDocument(ctx context.Context, s tenant.Scope, contractID, id int64) (contractdoc.Document, error) {
	cond, args := scopeSQL(s, "c.client_id")
	return scanContractDocument(db.queryRow(ctx, `SELECT `+contractDocumentCols+` FROM contract_documents d JOIN contracts c ON c.id = d.contract_id
		WHERE d.id = ? AND d.contract_id = ? AND `+cond, append([]any{id, contractID}, args...)...))
}

// ContractDocuments lists a contract's documents, oldest first.
func (db *DB) ContractDocuments(ctx context.Context, s tenant.Scope, contractID int64) ([]contractdoc.Document, error) {
	cond, args := scopeSQL(s, "c.client_id")
	rows, err := db.query(ctx, `SELECT `+contractDocumentCols+` FROM contract_documents d JOIN contracts c ON c.id = d.contract_id
		WHERE d.contract_id = ? AND `+cond+` ORDER BY d.id`, append([]any{contractID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("list documents of contract %d: %w", contractID, err)
	}
	return collect(rows, scanContractDocument)
}

// DeleteContractDocument removes a document's row.
func (db *DB) DeleteContractDocument(ctx context.Context, s tenant.Scope, contractID, id int64) error {
	cond, args := scopeSQL(s, "client_id")
	return affected(db.exec(ctx, `DELETE FROM contract_documents WHERE id = ? AND contract_id = ?
		AND contract_id IN (SELECT id FROM contracts WHERE `+cond+`)`, append([]any{id, contractID}, args...)...))
}

// ContractDocumentKeys returns the file key of every contract document
// (a deleted contract's documents are gone with it: their files are not
// among them).
func (db *DB) ContractDocumentKeys(ctx context.Context) (map[string]bool, error) {
	rows, err := db.query(ctx, `SELECT file_key FROM contract_documents`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keys := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys[k] = true
	}
	return keys, rows.Err()
}
