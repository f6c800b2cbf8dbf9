package attachment

import (
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// safeTypes are served with their own type; anything else, whatever it
// claims to be, goes out as application/octet-stream.
var safeTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"application/pdf": true, "text/plain; charset=utf-8": true,
}

// markupExt are names whose content a browser could render as a document
// even when it sniffs as plain text (an SVG without an XML declaration).
var markupExt = map[string]bool{".html": true, ".htm": true, ".xhtml": true, ".svg": true, ".svgz": true, ".xml": true, ".xht": true, ".mht": true}

// ServedType is the Content-Type a download is sent with.
func (a Attachment) ServedType() string {
	if safeTypes[a.SniffedType] && !markupExt[strings.ToLower(path.Ext(a.Name))] {
		return a.SniffedType
	}
	return "application/octet-stream"
}

// ContentDisposition always asks for a download (never rendering inline),
// with the UTF-8 name (RFC 6266, 8187) and an ASCII fallback.
func (a Attachment) ContentDisposition() string {
	var ascii, enc strings.Builder
	for _, r := range a.Name {
		if r < 0x80 && r >= 0x20 && r != '"' && r != '\\' && r != 0x7f {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	for _, b := range []byte(a.Name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			enc.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(b)|0x100, 16)[1:]))
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar is RFC 8187's attr-char: what needs no percent-encoding.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

// WriteDownload sends an attachment as a download: never rendered by the
// browser (attachment disposition, octet-stream unless a safe type, no
// sniffing) and sandboxed should it be opened anyway.
func WriteDownload(w http.ResponseWriter, a Attachment, content io.Reader) {
	h := w.Header()
	h.Set("Content-Type", a.ServedType())
	h.Set("Content-Disposition", a.ContentDisposition())
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, content)
}
