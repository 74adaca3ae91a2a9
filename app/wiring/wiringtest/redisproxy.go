package wiringtest

import (
	"errors"
	"io"
	"net"
	"sync"

	"github.com/waybill-app/waybill/app/apptest"
)

// redisProxy stands between Waybill and Redis so a test can take Redis away
// (Stop) as an outage would: open connections drop and new ones are refused.
type redisProxy struct {
	t      apptest.TB
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startRedisProxy(t apptest.TB, target string) *redisProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &redisProxy{t: t, ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Stop)
	return p
}

func (p *redisProxy) addr() string { return p.ln.Addr().String() }

func (p *redisProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) { // closed: stopped
				p.t.Errorf("Redis proxy: %v", err)
			}
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close() // the client sees Redis down, as it is; a failed close changes nothing
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			// Copy ends when either side closes; the other side is closed with it.
			_, _ = io.Copy(dst, src) // its error is a dropped connection: the outage the proxy is for
			_ = dst.Close()          // may be closed already, by the other pipe or Stop
			_ = src.Close()          // likewise
		}
		go pipe(server, client)
		go pipe(client, server)
	}
}

// Stop takes Redis away: the listener closes and every connection drops.
func (p *redisProxy) Stop() {
	if err := p.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) { // closed: stopped before
		p.t.Errorf("stopping the Redis proxy: %v", err)
	}
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close() // dropping it is the point; already closed by its pipe is fine
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
