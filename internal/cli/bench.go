package cli

import (
	"context"
	"errors"
)

const benchUsage = "vigie bench …"

func runBench(ctx context.Context, args []string, env Env) error {
	return errors.New("not written yet")
}
