package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/vigie-hq/vigie/internal/config"
)

// A real SMTP server (emersion/go-smtp) on 127.0.0.1, in the test process.

type received struct {
	from string
	to   []string
	user string // who authenticated, if anyone
	data []byte
}

// serverOptions choose the server's TLS and authentication.
type serverOptions struct {
	tls      *tls.Config // offers STARTTLS, or implicit TLS with implicit
	implicit bool
	// users, when set, are the only accounts (PLAIN), and sending needs one.
	users map[string]string
	// insecureAuth offers AUTH without TLS.
	insecureAuth bool
}

// smtpServer keeps what it receives. It answers 451 to the first failData
// messages and 550 to the recipients in reject.
type smtpServer struct {
	host string
	port int
	opts serverOptions

	mu       sync.Mutex
	failData int
	reject   map[string]bool
	dataSeen int
	got      chan received
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	return newSMTPServerWith(t, serverOptions{})
}

func newSMTPServerWith(t *testing.T, opts serverOptions) *smtpServer {
	t.Helper()
	s := &smtpServer{opts: opts, reject: map[string]bool{}, got: make(chan received, 32)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = opts.insecureAuth
	var l net.Listener
	var err error
	if opts.tls != nil && opts.implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", opts.tls)
	} else {
		srv.TLSConfig = opts.tls
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	s.host = "127.0.0.1"
	s.port = l.Addr().(*net.TCPAddr).Port
	return s
}

// config is the SMTP setting reaching the server in clear.
func (s *smtpServer) config() config.SMTP {
	return config.SMTP{Host: s.host, Port: s.port, TLS: "none"}
}

func (s *smtpServer) setFailData(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failData = n
}

func (s *smtpServer) dataCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dataSeen
}

type session struct {
	srv  *smtpServer
	user string
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) AuthMechanisms() []string {
	if ss.srv.opts.users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if pw, ok := ss.srv.opts.users[username]; !ok || pw != password {
			return smtp.ErrAuthFailed
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.opts.users != nil && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	if ss.srv.reject[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	ss.srv.dataSeen++
	if ss.srv.failData > 0 {
		ss.srv.failData--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.srv.got <- received{from: ss.from, to: ss.to, user: ss.user, data: b}
	return nil
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client config
// that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}
