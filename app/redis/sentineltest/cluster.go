package sentineltest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Cluster is a running three-node Redis Cluster (no replicas) on loopback.
type Cluster struct {
	Nodes []string // host:port
}

// StartCluster runs it and waits until every node says the cluster is ok.
// It skips the test when redis-server or redis-cli is not installed.
func StartCluster(t *testing.T) *Cluster {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (apt-get install redis-server): the Cluster test needs it")
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli is not installed (apt-get install redis-tools): the Cluster test needs it")
	}
	s := &Setup{t: t, dir: t.TempDir(), procs: map[string]*exec.Cmd{}}
	ports := freePorts(t, 6) // each node's, and its cluster bus's
	c := &Cluster{}
	for i := range 3 {
		node := addr(ports[i])
		s.start(server, node, "--port", strconv.Itoa(ports[i]), "--cluster-port", strconv.Itoa(ports[3+i]), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("nodes-%d.conf", ports[i]), "--cluster-node-timeout", "5000",
			"--save", "", "--appendonly", "no", "--dir", s.dir)
		c.Nodes = append(c.Nodes, node)
	}
	create := exec.Command(cli, append(append([]string{"--cluster", "create"}, c.Nodes...), "--cluster-replicas", "0", "--cluster-yes")...)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, node := range c.Nodes {
		rdb := goredis.NewClient(&goredis.Options{Addr: node})
		s.eventually(node+" to say the cluster is ok", 30*time.Second, func() bool {
			info, err := rdb.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
		s.close(rdb)
	}
	return c
}

// URL is the REDIS_URL of the cluster.
func (c *Cluster) URL() string { return "redis-cluster://" + strings.Join(c.Nodes, ",") }
