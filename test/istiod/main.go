// istiod's injection side, out of cluster, for the e2e suite: the two parts of istiod that touch
// sidecar injection, run from Istio's own packages as istiod's bootstrap starts them
// (pilot/pkg/bootstrap/sidecarinjector.go):
//
//   - the webhook cert patcher (pkg/webhooks), which writes istiod's CA into the caBundle of every
//     webhook named *sidecar-injector.istio.io in a MutatingWebhookConfiguration labelled
//     istio.io/rev: <revision>;
//   - optionally, istiod's injection webhook (pkg/kube/inject) on /inject over HTTPS, serving the
//     injector config and values from --inject-dir (istiod's /var/lib/istio/inject).
//
// The whole of pilot-discovery cannot be built from the module proxy (its agentgateway dependency is not
// served); these two packages are the same code a running istiod uses for injection. Run with
// ENABLE_NATIVE_SIDECARS=false: the webhook's node informer needs istiod's multicluster controller.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"istio.io/istio/pilot/pkg/keycertbundle"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pkg/cluster"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	kubelib "istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/webhooks"
)

// The suffix istiod's bootstrap gives the patcher (webhookName in sidecarinjector.go).
const webhookName = "sidecar-injector.istio.io"

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	revision := flag.String("revision", "default", "istiod's revision (istio.io/rev), as its REVISION env var")
	caFile := flag.String("ca-cert", "", "PEM of istiod's CA, the caBundle the patcher writes")
	certFile := flag.String("tls-cert", "", "PEM of the webhook's serving certificate, signed by --ca-cert")
	keyFile := flag.String("tls-key", "", "PEM of its key")
	injectDir := flag.String("inject-dir", "", "folder with the injector's config and values files; none: no webhook")
	listen := flag.String("listen", "127.0.0.1:0", "address of the HTTPS webhook")
	flag.Parse()

	if err := run(*kubeconfig, *revision, *caFile, *certFile, *keyFile, *injectDir, *listen); err != nil {
		fmt.Fprintln(os.Stderr, "istiod-injection:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, revision, caFile, certFile, keyFile, injectDir, listen string) error {
	stop := make(chan struct{})
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-signals; close(stop) }()

	restConfig, err := kubelib.DefaultRestConfig(kubeconfig, "")
	if err != nil {
		return err
	}
	client, err := kubelib.NewClient(kubelib.NewClientConfigForRestConfig(restConfig), cluster.ID("Kubernetes"))
	if err != nil {
		return err
	}

	bundle := keycertbundle.NewWatcher()
	if err := bundle.SetFromFilesAndNotify(keyFile, certFile, caFile); err != nil {
		return err
	}
	patcher, err := webhooks.NewWebhookCertPatcher(client, revision, webhookName, bundle)
	if err != nil {
		return err
	}

	if injectDir != "" {
		if err := serveInjection(injectDir, listen, revision, certFile, keyFile, stop); err != nil {
			return err
		}
	}

	client.RunAndWait(stop)
	go patcher.Run(stop)
	fmt.Println("ready")
	<-stop
	return nil
}

func serveInjection(dir, listen, revision, certFile, keyFile string, stop chan struct{}) error {
	watcher, err := inject.NewFileWatcher(filepath.Join(dir, "config"), filepath.Join(dir, "values"))
	if err != nil {
		return err
	}
	meshConfig := mesh.DefaultMeshConfig()
	if text, err := os.ReadFile(filepath.Join(dir, "mesh")); err == nil {
		if meshConfig, err = mesh.ApplyMeshConfigDefaults(string(text)); err != nil {
			return err
		}
	}
	env := &model.Environment{Watcher: meshwatcher.NewTestWatcher(meshConfig), ConfigStore: model.NewFakeStore()}
	env.SetPushContext(&model.PushContext{ProxyConfigs: model.GetProxyConfigs(env.ConfigStore, meshConfig)})
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	wh, err := inject.NewWebhook(inject.WebhookParameters{Watcher: watcher, Env: env, Mux: mux, Revision: revision})
	if err != nil {
		return err
	}
	wh.Run(stop)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	server := &http.Server{Addr: listen, Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go func() {
		if err := server.ListenAndServeTLS("", ""); err != nil && err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, "istiod-injection: webhook:", err)
			os.Exit(1)
		}
	}()
	go func() { <-stop; server.Close() }()
	return nil
}
