// etcd for the e2e control plane: etcd's own command, from its server module, so it runs the version
// kube-apiserver's client is built against.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
