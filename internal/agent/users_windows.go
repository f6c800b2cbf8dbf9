package agent

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// windowsUsers lists the users of the active and disconnected sessions
// (console and Remote Desktop) as DOMAIN\user. It needs the service's
// SYSTEM rights (WTSQueryUserToken); run by a user it finds nothing.
func windowsUsers() []string {
	var sessions *windows.WTS_SESSION_INFO
	var count uint32
	if err := windows.WTSEnumerateSessions(0, 0, 1, &sessions, &count); err != nil {
		return nil
	}
	defer windows.WTSFreeMemory(uintptr(unsafe.Pointer(sessions)))
	var out []string
	for _, s := range unsafe.Slice(sessions, count) {
		if s.State != windows.WTSActive && s.State != windows.WTSDisconnected {
			continue
		}
		var tok windows.Token
		if err := windows.WTSQueryUserToken(s.SessionID, &tok); err != nil {
			continue
		}
		u, err := tok.GetTokenUser()
		tok.Close()
		if err != nil {
			continue
		}
		account, domain, _, err := u.User.Sid.LookupAccount("")
		if err != nil {
			continue
		}
		if domain != "" {
			account = domain + `\` + account
		}
		out = append(out, account)
	}
	return out
}
