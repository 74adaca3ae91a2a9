// Package sentineltest runs real Redis for failover tests: a primary, a
// replica and three sentinels (Debian's redis-server and redis-sentinel,
// `make sentinel` installs the latter) on loopback ports of their own, in a
// temporary directory, stopped at the test's end; and a three-node Redis
// Cluster (cluster.go).
package sentineltest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Master is the name the sentinels monitor.
const Master = "mymaster"

// Setup is a running primary, replica and three sentinels.
type Setup struct {
	t         *testing.T
	dir       string
	Sentinels []string // host:port
	procs     map[string]*exec.Cmd
}

// Start runs them and waits until the replica is in sync and every sentinel
// knows the replica and the other two. It skips the test when redis-server
// is not installed.
func Start(t *testing.T) *Setup {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (apt-get install redis-server redis-sentinel): the Sentinel failover test needs it")
	}
	// redis-sentinel is redis-server started under another name; without
	// Debian's package, redis-server --sentinel is the same program.
	sentinel, sentinelArgs := server, []string{"--sentinel"}
	if p, err := exec.LookPath("redis-sentinel"); err == nil {
		sentinel, sentinelArgs = p, nil
	}
	s := &Setup{t: t, dir: t.TempDir(), procs: map[string]*exec.Cmd{}}
	ports := freePorts(t, 5)
	primary, replica := addr(ports[0]), addr(ports[1])
	s.start(server, primary, "--port", strconv.Itoa(ports[0]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--dbfilename", "primary.rdb")
	s.start(server, replica, "--port", strconv.Itoa(ports[1]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--dbfilename", "replica.rdb",
		"--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))
	for _, p := range ports[2:] {
		conf := filepath.Join(s.dir, fmt.Sprintf("sentinel-%d.conf", p))
		// down-after 1 s and a short failover timeout keep the test quick;
		// quorum 2 of 3, as in production.
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel resolve-hostnames no\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\nsentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 10000\nsentinel parallel-syncs %s 1\n",
			p, s.dir, Master, ports[0], Master, Master, Master)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		s.start(sentinel, addr(p), append([]string{conf}, sentinelArgs...)...)
		s.Sentinels = append(s.Sentinels, addr(p))
	}
	s.waitReplicaInSync(primary)
	s.waitSentinelsAgree(primary)
	return s
}

// URL is the REDIS_URL for database db through the sentinels.
func (s *Setup) URL(db int) string {
	return fmt.Sprintf("redis-sentinel://%s/%d?master_name=%s", strings.Join(s.Sentinels, ","), db, Master)
}

// Primary is where the sentinels say the primary is.
func (s *Setup) Primary() string {
	s.t.Helper()
	return s.masterAddr(s.Sentinels[0])
}

// Failover asks a sentinel to promote the replica (SENTINEL FAILOVER: no
// agreement needed, as when an operator or an upgrade moves the primary)
// and returns at once; WaitPromoted waits for the outcome.
func (s *Setup) Failover() (old string) {
	s.t.Helper()
	old = s.Primary()
	sc := goredis.NewSentinelClient(&goredis.Options{Addr: s.Sentinels[0]})
	defer s.close(sc)
	if err := sc.Failover(context.Background(), Master).Err(); err != nil {
		s.t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	return old
}

// WaitPromoted waits until every sentinel names a primary other than old
// and old has become its replica, in sync; it returns the new primary.
func (s *Setup) WaitPromoted(old string) string {
	s.t.Helper()
	var primary string
	s.eventually("the sentinels to promote the replica", 30*time.Second, func() bool {
		primary = s.masterAddr(s.Sentinels[0])
		if primary == old {
			return false
		}
		for _, sn := range s.Sentinels[1:] {
			if s.masterAddr(sn) != primary {
				return false
			}
		}
		return true
	})
	s.waitReplicaInSync(primary)
	return primary
}

func (s *Setup) start(bin, name string, args ...string) {
	s.t.Helper()
	logPath := filepath.Join(s.dir, strings.ReplaceAll(name, ":", "-")+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", bin, err)
	}
	s.procs[name] = cmd
	s.t.Cleanup(func() {
		if s.t.Failed() {
			s.t.Logf("log of %s %s:\n%s", filepath.Base(bin), name, tail(logPath, 30))
		}
		// Killed, not shut down: nothing here is kept. Its exit status is
		// the kill's, so Wait's error says nothing.
		if err := cmd.Process.Kill(); err != nil {
			s.t.Errorf("stopping %s: %v", name, err)
		}
		_ = cmd.Wait()
		if err := logFile.Close(); err != nil {
			s.t.Errorf("closing %s: %v", logPath, err)
		}
	})
	c := goredis.NewClient(&goredis.Options{Addr: name})
	defer s.close(c)
	s.eventually(name+" to answer", 10*time.Second, func() bool { return c.Ping(context.Background()).Err() == nil })
}

// waitReplicaInSync waits until primary has one replica, online and caught up.
func (s *Setup) waitReplicaInSync(primary string) {
	s.t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: primary})
	defer s.close(c)
	s.eventually("the replica to be in sync with "+primary, 30*time.Second, func() bool {
		info, err := c.Info(context.Background(), "replication").Result()
		if err != nil {
			return false
		}
		fields := infoFields(info)
		if fields["role"] != "master" || fields["connected_slaves"] != "1" {
			return false
		}
		// slave0:ip=…,port=…,state=online,offset=…,lag=…
		return strings.Contains(fields["slave0"], "state=online")
	})
}

// waitSentinelsAgree waits until each sentinel knows the primary, its
// replica and the two other sentinels (a failover needs all of it).
func (s *Setup) waitSentinelsAgree(primary string) {
	s.t.Helper()
	for _, sn := range s.Sentinels {
		sc := goredis.NewSentinelClient(&goredis.Options{Addr: sn})
		s.eventually("sentinel "+sn+" to know the replica and the other sentinels", 30*time.Second, func() bool {
			ctx := context.Background()
			replicas, err := sc.Replicas(ctx, Master).Result()
			if err != nil || len(replicas) != 1 {
				return false
			}
			others, err := sc.Sentinels(ctx, Master).Result()
			return err == nil && len(others) == 2 && s.masterAddr(sn) == primary
		})
		s.close(sc)
	}
}

func (s *Setup) masterAddr(sentinel string) string {
	sc := goredis.NewSentinelClient(&goredis.Options{Addr: sentinel})
	defer s.close(sc)
	hp, err := sc.GetMasterAddrByName(context.Background(), Master).Result()
	if err != nil || len(hp) != 2 {
		return ""
	}
	return net.JoinHostPort(hp[0], hp[1])
}

func (s *Setup) close(c interface{ Close() error }) {
	if err := c.Close(); err != nil {
		s.t.Errorf("closing a Redis connection: %v", err)
	}
}

func (s *Setup) eventually(what string, limit time.Duration, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func infoFields(info string) map[string]string {
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok {
			fields[k] = v
		}
	}
	return fields
}

// freePorts asks the kernel for n loopback ports no one is using.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return ports
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
