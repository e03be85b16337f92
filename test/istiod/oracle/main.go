// Istio's own injector as an oracle and a baseline, from Istio's module (the release test/istiod/go.mod
// pins, or another go.mod given with -modfile):
//
//	istio-oracle inject   reads requests as JSON lines on stdin and answers each with what
//	                      `istioctl kube-inject` makes of its documents (inject.IntoResourceFile, the
//	                      function kube-inject calls), with the request's injector config, values and
//	                      mesh config;
//	istio-oracle bench    times istiod's webhook handler (serveInject, on the Mux NewWebhook registers)
//	                      in process, per AdmissionReview, as Istio's BenchmarkInjection drives it;
//	istio-oracle serve    serves that handler over plain HTTP, for a requests-per-second comparison.
//
// Nothing of Istio's is copied here: every behaviour comes from its packages.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/kube/inject"
	istiolog "istio.io/istio/pkg/log"
)

// One case: the documents to inject and the settings to inject them with.
type request struct {
	ID string `json:"id"`
	// The injector config as the istio-sidecar-injector ConfigMap's `config` key holds it (policy,
	// defaultTemplates, templates).
	Config string `json:"config"`
	// The ConfigMap's `values` key (JSON).
	Values string `json:"values"`
	// Mesh config (YAML) over Istio's defaults.
	Mesh     string `json:"mesh"`
	Native   bool   `json:"native"`
	Revision string `json:"revision"`
	Input    string `json:"input"`
}

type response struct {
	ID       string   `json:"id"`
	Output   string   `json:"output,omitempty"`
	Error    string   `json:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

type settings struct {
	config inject.Config
	values inject.ValuesConfig
	mesh   *meshconfig.MeshConfig
}

func main() {
	istiolog.FindScope("default").SetOutputLevel(istiolog.NoneLevel)
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.NoneLevel)
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: istio-oracle inject|bench|serve [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "inject":
		err = serveRequests(os.Stdin, os.Stdout)
	case "bench":
		err = bench(os.Args[2:])
	case "serve":
		err = serve(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "istio-oracle:", err)
		os.Exit(1)
	}
}

func load(config, values, meshText string) (*settings, error) {
	cfg, err := inject.UnmarshalConfig([]byte(config))
	if err != nil {
		return nil, err
	}
	vc, err := inject.NewValuesConfig(values)
	if err != nil {
		return nil, err
	}
	mc, err := mesh.ApplyMeshConfig(meshText, mesh.DefaultMeshConfig())
	if err != nil {
		return nil, err
	}
	return &settings{config: cfg, values: vc, mesh: mc}, nil
}

func serveRequests(in *os.File, out *os.File) error {
	cache := map[string]*settings{}
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	writer := bufio.NewWriter(out)
	encoder := json.NewEncoder(writer)
	for scanner.Scan() {
		var req request
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil {
			return fmt.Errorf("request: %v", err)
		}
		resp := response{ID: req.ID}
		key := req.Config + "\x00" + req.Values + "\x00" + req.Mesh
		s, ok := cache[key]
		var err error
		if !ok {
			if s, err = load(req.Config, req.Values, req.Mesh); err == nil {
				// Parsed templates are large: a few settings are kept, not every variation of a long run.
				if len(cache) >= 32 {
					clear(cache)
				}
				cache[key] = s
			}
		}
		if err == nil {
			if req.Native {
				features.EnableNativeSidecars = features.NativeSidecarModeEnabled
			} else {
				features.EnableNativeSidecars = features.NativeSidecarModeDisabled
			}
			var buf bytes.Buffer
			err = inject.IntoResourceFile(nil, s.config.Templates, s.values, req.Revision, s.mesh,
				strings.NewReader(req.Input), &buf, func(w string) { resp.Warnings = append(resp.Warnings, w) })
			resp.Output = buf.String()
		}
		if err != nil {
			resp.Error = err.Error()
			resp.Output = ""
		}
		if err := encoder.Encode(resp); err != nil {
			return err
		}
		if err := writer.Flush(); err != nil {
			return err
		}
	}
	return scanner.Err()
}

// The webhook istiod runs, on a Mux, from a folder with `config`, `values` and `mesh` files.
func webhook(dir string, native bool) (*http.ServeMux, error) {
	watcher, err := inject.NewFileWatcher(filepath.Join(dir, "config"), filepath.Join(dir, "values"))
	if err != nil {
		return nil, err
	}
	meshText, err := os.ReadFile(filepath.Join(dir, "mesh"))
	if err != nil {
		return nil, err
	}
	mc, err := mesh.ApplyMeshConfig(string(meshText), mesh.DefaultMeshConfig())
	if err != nil {
		return nil, err
	}
	env := &model.Environment{Watcher: meshwatcher.NewTestWatcher(mc), ConfigStore: model.NewFakeStore()}
	env.SetPushContext(&model.PushContext{ProxyConfigs: model.GetProxyConfigs(env.ConfigStore, mc)})
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	// Made without a node informer (it needs istiod's multicluster controller); native sidecars are then
	// on exactly when the feature is "true", as the webhook decides without nodes.
	features.EnableNativeSidecars = features.NativeSidecarModeDisabled
	if _, err := inject.NewWebhook(inject.WebhookParameters{Watcher: watcher, Env: env, Mux: mux, Revision: "default"}); err != nil {
		return nil, err
	}
	if native {
		features.EnableNativeSidecars = features.NativeSidecarModeEnabled
	}
	return mux, nil
}

// Times serveInject per review: each review in --reviews (JSON lines {"name","body"}) is posted to
// /inject on the Mux again and again for --min-time, after a warm-up; prints one JSON line per review.
func bench(args []string) error {
	flags := flag.NewFlagSet("bench", flag.ExitOnError)
	dir := flags.String("dir", "", "folder with config, values and mesh")
	native := flags.Bool("native", false, "native sidecars")
	reviews := flags.String("reviews", "", "JSON lines of {name, body}")
	minTime := flags.Duration("min-time", time.Second, "time each review at least this long")
	_ = flags.Parse(args)
	mux, err := webhook(*dir, *native)
	if err != nil {
		return err
	}
	file, err := os.ReadFile(*reviews)
	if err != nil {
		return err
	}
	for _, line := range bytes.Split(bytes.TrimSpace(file), []byte("\n")) {
		var review struct {
			Name string          `json:"name"`
			Body json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(line, &review); err != nil {
			return err
		}
		call := func() int {
			req := httptest.NewRequest(http.MethodPost, "/inject", bytes.NewReader(review.Body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			return rec.Code
		}
		if code := call(); code != http.StatusOK {
			return fmt.Errorf("%s: HTTP %d", review.Name, code)
		}
		n := 0
		start := time.Now()
		for time.Since(start) < *minTime {
			for i := 0; i < 10; i++ {
				call()
			}
			n += 10
		}
		elapsed := time.Since(start)
		line, _ := json.Marshal(map[string]any{"name": review.Name, "ops": n, "nsPerOp": elapsed.Nanoseconds() / int64(n)})
		fmt.Println(string(line))
	}
	return nil
}

func serve(args []string) error {
	flags := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := flags.String("dir", "", "folder with config, values and mesh")
	native := flags.Bool("native", false, "native sidecars")
	listen := flags.String("listen", "127.0.0.1:0", "address")
	_ = flags.Parse(args)
	mux, err := webhook(*dir, *native)
	if err != nil {
		return err
	}
	server := &http.Server{Addr: *listen, Handler: mux}
	fmt.Println("ready")
	return server.ListenAndServe()
}
