package redis

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"
)

// Options are a parsed REDIS_URL: one Redis, a Sentinel-watched primary, or
// a Cluster. Every Redis user — the adapter, the Asynq client, inspector,
// worker and scheduler — is built from them, so all follow a failover alike.
type Options struct {
	single   *goredis.Options
	failover *goredis.FailoverOptions
	cluster  *goredis.ClusterOptions
}

// Schemes REDIS_URL takes. The Sentinel and Cluster forms list their seed
// addresses comma-separated in the host, as Asynq's ParseRedisURI does;
// every other option is go-redis's own query parameter (dial_timeout,
// pool_size, …).
const (
	schemeSentinel    = "redis-sentinel"
	schemeSentinelTLS = "rediss-sentinel"
	schemeCluster     = "redis-cluster"
	schemeClusterTLS  = "rediss-cluster"
)

// ParseURL reads REDIS_URL:
//
//	redis://[[user]:password@]host[:6379][/db][?option=…]       one server (rediss:// for TLS, unix:///path.sock)
//	redis-sentinel://[[user]:password@]host1[:26379],host2[:26379],…[/db]?master_name=mymaster[&sentinel_password=…][&sentinel_username=…]
//	redis-cluster://[[user]:password@]host1[:6379],host2[:6379],…[?option=…]
//
// The user and password are always the data servers' (what a redis:// URL
// carries), so switching to Sentinel keeps them where they were; the
// sentinels' own, if they have any, are sentinel_username and
// sentinel_password. (Asynq's ParseRedisURI reads the userinfo of a
// redis-sentinel:// URL as the sentinels' password instead, and knows no
// data-server password.) master accepts Asynq's spelling of master_name.
// Errors name what is wrong and never repeat the URL (it may hold a password).
func ParseURL(raw string) (*Options, error) {
	// A host list is not a URL host ("a:26379,b" has no valid port), so it
	// is taken out before parsing and split by seeds.
	raw, hosts := cutHosts(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("REDIS_URL is not a URL (redis://host:6379/0, redis-sentinel://host1:26379,host2:26379/0?master_name=mymaster or redis-cluster://host1:6379,host2:6379)")
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
		o, err := goredis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %s", cleanErr(err))
		}
		return &Options{single: o}, nil
	case schemeSentinel, schemeSentinelTLS:
		return parseSentinel(u, hosts)
	case schemeCluster, schemeClusterTLS:
		return parseCluster(u, hosts)
	default:
		return nil, fmt.Errorf("REDIS_URL: unknown scheme %q: use redis://, rediss://, unix://, redis-sentinel:// or redis-cluster://", u.Scheme)
	}
}

// cutHosts takes the host list out of a Sentinel or Cluster URL, leaving a
// placeholder host; other URLs are returned as they are.
func cutHosts(raw string) (string, string) {
	scheme, rest, ok := strings.Cut(raw, "://")
	switch {
	case !ok:
		return raw, ""
	case scheme != schemeSentinel && scheme != schemeSentinelTLS && scheme != schemeCluster && scheme != schemeClusterTLS:
		return raw, ""
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	user := ""
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		user, authority = authority[:at+1], authority[at+1:]
	}
	return scheme + "://" + user + "seeds" + tail, authority
}

// seeds splits the host list, adding defaultPort where a host has none.
func seeds(scheme, hosts, defaultPort string) ([]string, error) {
	var addrs []string
	for _, h := range strings.Split(hosts, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			host, port = strings.Trim(h, "[]"), defaultPort
		}
		if host == "" || port == "" {
			return nil, fmt.Errorf("REDIS_URL: %q is not host:port", h)
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("REDIS_URL: %s:// needs at least one host:port", scheme)
	}
	return addrs, nil
}

// goredisURL rewrites a Sentinel or Cluster URL into the form go-redis's
// own parser reads (the first seed as host, the rest as addr=), so every
// go-redis query option keeps its meaning and an unknown one is refused.
func goredisURL(u *url.URL, addrs []string, user *url.Userinfo, q url.Values) string {
	scheme := "redis"
	if strings.HasPrefix(u.Scheme, "rediss") {
		scheme = "rediss"
	}
	for _, a := range addrs[1:] {
		q.Add("addr", a)
	}
	return (&url.URL{Scheme: scheme, User: user, Host: addrs[0], Path: u.Path, RawQuery: q.Encode()}).String()
}

func parseSentinel(u *url.URL, hosts string) (*Options, error) {
	addrs, err := seeds(u.Scheme, hosts, "26379")
	if err != nil {
		return nil, err
	}
	q := u.Query()
	master := q.Get("master_name")
	if alias := q.Get("master"); alias != "" {
		if master != "" && master != alias {
			return nil, errors.New("REDIS_URL: master and master_name disagree; give only master_name")
		}
		master = alias
		q.Del("master")
	}
	if master == "" {
		return nil, errors.New("REDIS_URL: redis-sentinel:// needs master_name=… (the name the sentinels monitor, e.g. mymaster)")
	}
	q.Set("master_name", master)
	// Data servers' credentials go to go-redis's username/password options;
	// the sentinels' to its userinfo.
	if u.User != nil {
		if name := u.User.Username(); name != "" {
			q.Set("username", name)
		}
		if pw, ok := u.User.Password(); ok {
			q.Set("password", pw)
		}
	}
	var sentinelUser *url.Userinfo
	sName, sPass := q.Get("sentinel_username"), q.Get("sentinel_password")
	q.Del("sentinel_username")
	q.Del("sentinel_password")
	switch {
	case sPass != "":
		sentinelUser = url.UserPassword(sName, sPass)
	case sName != "":
		sentinelUser = url.User(sName)
	}
	o, err := goredis.ParseFailoverURL(goredisURL(u, addrs, sentinelUser, q))
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %s", cleanErr(err))
	}
	return &Options{failover: o}, nil
}

func parseCluster(u *url.URL, hosts string) (*Options, error) {
	addrs, err := seeds(u.Scheme, hosts, "6379")
	if err != nil {
		return nil, err
	}
	if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
		return nil, errors.New("REDIS_URL: a Redis Cluster has only database 0; remove the /" + p)
	}
	u.Path = ""
	o, err := goredis.ParseClusterURL(goredisURL(u, addrs, u.User, u.Query()))
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %s", cleanErr(err))
	}
	return &Options{cluster: o}, nil
}

// cleanErr drops go-redis's "redis: " prefix.
func cleanErr(err error) string { return strings.TrimPrefix(err.Error(), "redis: ") }

// Mode says which kind of Redis the URL names: "single", "sentinel" or "cluster".
func (o *Options) Mode() string {
	switch {
	case o.failover != nil:
		return "sentinel"
	case o.cluster != nil:
		return "cluster"
	}
	return "single"
}

// NewClient returns a new go-redis client: a plain one, a failover client
// that asks the sentinels where the primary is (and moves when they say it
// moved), or a cluster client.
func (o *Options) NewClient() goredis.UniversalClient {
	switch {
	case o.failover != nil:
		f := *o.failover
		return goredis.NewFailoverClient(&f)
	case o.cluster != nil:
		c := *o.cluster
		return goredis.NewClusterClient(&c)
	}
	s := *o.single
	return goredis.NewClient(&s)
}

// AsynqConnOpt is the same Redis for Asynq's server and scheduler, which
// build (and at shutdown close) connections of their own: each gets a new
// client from these very options, so no setting is lost in translation.
func (o *Options) AsynqConnOpt() asynq.RedisConnOpt { return asynqConn{o} }

type asynqConn struct{ o *Options }

func (c asynqConn) MakeRedisClient() any { return c.o.NewClient() }
