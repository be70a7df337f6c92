package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
	"sanmian/hub/ident"
)

// sample is one sample resident as printed and written to the ready file.
type sample struct {
	IDNumber string   `json:"id_number"`
	Name     string   `json:"name"`
	Village  string   `json:"village"`
	Items    []string `json:"items"`
	// VillageName is for people, not programs: the ready-file contract names only the fields above.
	VillageName string `json:"village_name,omitempty"`
}

func samplesOf(d *synth.District, n int) []sample {
	var out []sample
	for _, s := range d.Samples(n) {
		p := &d.Persons[s.Person]
		v := d.Village(p)
		out = append(out, sample{IDNumber: p.ID, Name: p.Name, Village: v.Code, VillageName: v.Name, Items: s.Items})
	}
	return out
}

// splitAddr turns host:port into the host and three consecutive ports (port 0: random).
func splitAddr(addr string) (string, [3]int, error) {
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		return "", [3]int{}, fmt.Errorf("--addr %q: want host:port", addr)
	}
	port, err := strconv.Atoi(portS)
	if err != nil || port < 0 || port > 65533 {
		return "", [3]int{}, fmt.Errorf("--addr %q: bad port", addr)
	}
	if port == 0 {
		return host, [3]int{}, nil
	}
	return host, [3]int{port, port + 1, port + 2}, nil
}

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sim", stderr)
	addr := fs.String("addr", "127.0.0.1:9401", "listen host:port of the province platform; city and district take the next two ports (port 0: random)")
	residents := fs.Int("residents", synth.DefaultResidents, "synthetic district size (1075784 = the whole district)")
	seed := fs.Int64("seed", 1, "data seed: the same seed gives the same district")
	faults := fs.String("faults", "none", "fault profile: none, realistic, flaky, outage-province, or a YAML file")
	readyFile := fs.String("ready-file", "", "once serving, write a JSON file with the addresses and sample residents")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	host, ports, err := splitAddr(*addr)
	if err != nil {
		return &exitError{Code: 2, Err: err}
	}
	start := time.Now()
	fmt.Fprintf(stdout, "正在生成模拟章丘区数据 (generating the synthetic district: %d residents, seed %d) ...\n", *residents, *seed)
	p, err := sim.Start(ctx, sim.Config{Host: host, Ports: ports, Residents: *residents, Seed: *seed, Faults: *faults})
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(stdout, "ready in %s\n\n", time.Since(start).Round(10*time.Millisecond))
	printPlatforms(stdout, p)
	samples := samplesOf(p.Data, 6)
	printSamples(stdout, samples)
	if *readyFile != "" {
		if err := writeReadyFile(*readyFile, map[string]any{
			"province": p.Province.URL(), "city": p.City.URL(), "district": p.District.URL(), "samples": samples,
		}); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "\nCtrl-C stops the platforms. 按 Ctrl-C 停止。")
	<-ctx.Done()
	return nil
}

func printPlatforms(w io.Writer, p *sim.Platforms) {
	c := p.Credentials
	fmt.Fprintf(w, "Simulated platforms (fault profile %q):\n", p.Faults.Name)
	fmt.Fprintf(w, "  province 省一体化大数据平台     %s   app key %s, secret %s (HMAC-SHA256 signing)\n", p.Province.URL(), c.ProvinceAppKey, c.ProvinceSecret)
	fmt.Fprintf(w, "  city     市大数据平台           %s   client %s, secret %s (OAuth2 client credentials)\n", p.City.URL(), c.CityClientID, c.CityClientSecret)
	fmt.Fprintf(w, "  district 区数据要素融合赋能平台 %s   X-Api-Key %s\n", p.District.URL(), c.DistrictAPIKey)
	fmt.Fprintln(w, "  wire formats: connectors/sim/API.md; request counters: GET <platform>/_sim/stats")
}

func printSamples(w io.Writer, samples []sample) {
	fmt.Fprintln(w, "\nSample residents 示例居民 (ID number, name, village, items they are likely eligible for):")
	for _, s := range samples {
		fmt.Fprintf(w, "  %s  %s  %s %s  %v\n", s.IDNumber, s.Name, s.Village, s.VillageName, s.Items)
	}
	fmt.Fprintf(w, "  (synthetic people; in logs and responses the hub shows ID numbers masked, e.g. %s)\n",
		ident.MaskIDNumber(firstID(samples)))
}

func firstID(s []sample) string {
	if len(s) == 0 {
		return ""
	}
	return s[0].IDNumber
}

// writeReadyFile writes v as JSON atomically (write then rename), so a waiting script never
// reads half a file.
func writeReadyFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	return nil
}
