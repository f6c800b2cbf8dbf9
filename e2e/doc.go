// Package e2e holds Vigie's browser tests: a real server (internal/app/apptest)
// on 127.0.0.1:0 driven by a real headless Chromium through chromedp.
//
// Chromium is found on PATH (chromium, chromium-browser, google-chrome) or
// given with VIGIE_CHROMIUM. Without it the tests skip with a loud message,
// or fail when CI=true.
package e2e
