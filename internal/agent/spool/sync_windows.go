package spool

// syncDir is a no-op: NTFS makes MoveFileEx durable with the file, and a
// directory cannot be opened for sync on Windows.
func syncDir(string) {}
