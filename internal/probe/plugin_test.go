package probe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsePluginOutput(t *testing.T) {
	tests := []struct {
		name   string
		exit   int
		stdout string
		state  State
		output string
		perf   map[string]float64
	}{
		{"check_disk", 1,
			"DISK WARNING - free space: / 3326 MB (56% inode=99%); /boot 68 MB (69% inode=99%);| /=2643MB;5948;5958;0;5968 /boot=68MB;88;93;0;98\n",
			Warning, "DISK WARNING - free space: / 3326 MB (56% inode=99%); /boot 68 MB (69% inode=99%);",
			map[string]float64{"/": 2643 << 20, "/boot": 68 << 20}},
		{"check_http", 0,
			"HTTP OK: HTTP/1.1 200 OK - 12345 bytes in 0.123 second response time |time=0.123456s;;;0.000000;10.000000 size=12345B;;;0\n",
			OK, "HTTP OK: HTTP/1.1 200 OK - 12345 bytes in 0.123 second response time",
			map[string]float64{"time": 0.123456, "size": 12345}},
		{"check_load", 0,
			"OK - load average: 0.36, 0.40, 0.43|load1=0.360;15.000;30.000;0; load5=0.400;10.000;25.000;0; load15=0.430;5.000;20.000;0;\n",
			OK, "OK - load average: 0.36, 0.40, 0.43",
			map[string]float64{"load1": 0.36, "load5": 0.4, "load15": 0.43}},
		{"check_ping", 2,
			"PING CRITICAL - Packet loss = 100%|rta=5000.000000ms;100.000000;500.000000;0.000000 pl=100%;20;60;0\n",
			Critical, "PING CRITICAL - Packet loss = 100%",
			map[string]float64{"rta": 5, "pl": 100}},
		{"centreon quoted labels and long text", 0,
			"OK: All storages are ok | 'used_/'=5012148224B;;;0;10434662400 'used_/var lib'=102400B;;;0;1048576 'traffic_in'=12.5b/s;;;0;\n" +
				"Storage '/' Usage Total: 9.72 GB Used: 4.67 GB (48.03%)\n" +
				"Storage '/var lib' Usage Total: 1 MB Used: 100 KB | 'it''s'=3c;;;0; 'time_us'=250us\n" +
				"'count'=7\n",
			OK, "OK: All storages are ok",
			map[string]float64{"used_/": 5012148224, "used_/var lib": 102400, "traffic_in": 12.5, "it's": 3, "time_us": 0.00025, "count": 7}},
		{"long text without perfdata", 0, "OK\nline two\nline three\n", OK, "OK", map[string]float64{}},
		{"bad items skipped", 1,
			"WARN | a=1 b=U c=;;; d= =5 'e=2 f=1,5 g=NaN h=Inf i=3KB j=2TB k=9zz\n",
			Warning, "WARN", map[string]float64{"a": 1, "f": 1.5, "i": 3072, "j": 2 << 40, "k": 9}},
		{"unclosed quote ends", 0, "OK | x=1 'y=2", OK, "OK", map[string]float64{"x": 1}},
		{"exit 3", 3, "UNKNOWN - plugin timed out", Unknown, "UNKNOWN - plugin timed out", map[string]float64{}},
		{"exit 127", 127, "sh: check_foo: not found", Unknown, "exit code 127: sh: check_foo: not found", map[string]float64{}},
		{"exit -1", -1, "", Unknown, "(no output, exit code -1)", map[string]float64{}},
		{"empty", 0, "", OK, "(no output)", map[string]float64{}},
		{"crlf", 0, "OK - fine | t=1ms\r\n", OK, "OK - fine", map[string]float64{"t": 0.001}},
		{"sizes", 0, "x | k=1KB m=1MB g=2GB t=1TB p=50%", OK, "x", map[string]float64{"k": 1024, "m": 1 << 20, "g": 2 << 30, "t": 1 << 40, "p": 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ParsePluginOutput(tt.exit, []byte(tt.stdout))
			if r.State != tt.state {
				t.Errorf("state = %v, want %v", r.State, tt.state)
			}
			if r.Output != tt.output {
				t.Errorf("output = %q, want %q", r.Output, tt.output)
			}
			if len(r.Perf) != len(tt.perf) {
				t.Errorf("perf = %v, want %v", r.Perf, tt.perf)
			}
			for k, v := range tt.perf {
				got, ok := r.Perf[k]
				if !ok || !near(got, v) {
					t.Errorf("perf[%q] = %v (%v), want %v", k, got, ok, v)
				}
			}
		})
	}
}

func near(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*max(1, abs(b))
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestParsePluginOutputBounds(t *testing.T) {
	long := strings.Repeat("é", 5000)
	r := ParsePluginOutput(0, []byte(long+" | a=1"))
	if len(r.Output) > maxOutput+len("…") || !utf8.ValidString(r.Output) {
		t.Errorf("output not bounded: %d bytes", len(r.Output))
	}
	var b strings.Builder
	b.WriteString("OK |")
	for i := range 1000 {
		b.WriteString(" m")
		b.WriteString(strings.Repeat("x", i%3))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("y", i/26))
		b.WriteString("=1")
	}
	r = ParsePluginOutput(0, []byte(b.String()))
	if len(r.Perf) != maxPerfItems {
		t.Errorf("%d perf items, want %d", len(r.Perf), maxPerfItems)
	}
}

func FuzzParsePluginOutput(f *testing.F) {
	f.Add(0, []byte("OK - load average: 0.36|load1=0.360;15.000;30.000;0;"))
	f.Add(2, []byte("CRIT | 'a b'=1ms;2;3;0;4\nlong | x=1KB\n'y'=2%"))
	f.Add(1, []byte("W | 'it''s'=3c 'open=1 ;;; =|="))
	f.Add(7, []byte("\xff\xfe|\n|"))
	f.Fuzz(func(t *testing.T, exit int, stdout []byte) {
		r := ParsePluginOutput(exit, stdout)
		if r.State < OK || r.State > Unknown {
			t.Fatalf("state %d", r.State)
		}
		if (exit < 0 || exit > 3) && r.State != Unknown {
			t.Fatalf("exit %d gives %v", exit, r.State)
		}
		if !utf8.ValidString(r.Output) || strings.ContainsAny(r.Output, "\r\n") || len(r.Output) > maxOutput+len("exit code -9223372036854775808: ")+len("…") {
			t.Fatalf("bad output %q", r.Output)
		}
		if r.Perf == nil || len(r.Perf) > maxPerfItems {
			t.Fatalf("perf %d items", len(r.Perf))
		}
		for k, v := range r.Perf {
			if k == "" || len(k) > maxPerfLabel || v != v {
				t.Fatalf("perf %q=%v", k, v)
			}
		}
	})
}
