package agent

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// ownerOnlySDDL gives full control to SYSTEM, Administrators and the
// directory's owner, and nothing to anyone else; inheritance from
// %ProgramData% (where Users may read) is cut.
const ownerOnlySDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)"

// restrictPath makes a file or directory (and what it will hold) readable
// by its owner, SYSTEM and Administrators only.
func restrictPath(dir string) error {
	sd, err := windows.SecurityDescriptorFromString(ownerOnlySDDL)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("restrict %s to its owner: %w", dir, err)
	}
	return nil
}
