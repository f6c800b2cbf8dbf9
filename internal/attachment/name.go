package attachment

import (
	"bytes"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SanitizeName returns a file name safe to store and to send back: the last
// element of any path, without control or format characters, path
// separators or leading dots, at most MaxNameRunes runes (the extension
// kept). It is "" when nothing is left.
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	// Browsers of old sent C:\dir\file.txt: keep the last element of either kind of path.
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1
		case r == '"' || r == ':' || r == '*' || r == '?' || r == '<' || r == '>' || r == '|':
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), ".")
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxNameRunes {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 20 {
			ext = ""
		}
		r := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimSpace(string(r[:MaxNameRunes-utf8.RuneCountInString(ext)])) + ext
	}
	return name
}

// executableExt are extensions refused whatever the content: Windows
// programs and scripts, Java and Android packages.
var executableExt = map[string]bool{
	".exe": true, ".dll": true, ".msi": true, ".bat": true, ".cmd": true, ".com": true, ".scr": true,
	".ps1": true, ".vbs": true, ".js": true, ".jar": true, ".apk": true, ".sh": true,
	".cpl": true, ".msp": true, ".pif": true, ".hta": true, ".wsf": true, ".lnk": true,
}

func executableName(name string) bool {
	return executableExt[strings.ToLower(path.Ext(name))]
}

// executableContent recognises programs by their first bytes, whatever
// their name: PE (MZ), ELF, Mach-O and scripts with a shebang.
func executableContent(head []byte) bool {
	for _, magic := range [][]byte{
		[]byte("MZ"), []byte("\x7fELF"), []byte("#!"),
		{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe},
	} {
		if bytes.HasPrefix(head, magic) {
			return true
		}
	}
	return false
}
