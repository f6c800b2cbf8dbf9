//go:build !windows

package agent

import "os"

// restrictPath makes a directory the agent created 0700 whatever the umask.
func restrictPath(dir string) error { return os.Chmod(dir, 0o700) }
