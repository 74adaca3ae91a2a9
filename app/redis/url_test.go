package redis

import (
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"
)

// An operator's REDIS_URL reaches the right servers with the right
// credentials, whichever form it takes.
func TestURLForms(t *testing.T) {
	o, err := ParseURL("redis-sentinel://:datapw@10.0.0.1:26379,10.0.0.2,[::1]:26380/3?master_name=mymaster&sentinel_password=sentpw&dial_timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	f := o.failover
	if o.Mode() != "sentinel" || f.MasterName != "mymaster" || f.DB != 3 || f.DialTimeout != 2*time.Second ||
		strings.Join(f.SentinelAddrs, " ") != "10.0.0.1:26379 10.0.0.2:26379 [::1]:26380" {
		t.Fatalf("sentinel options: %+v", f)
	}
	// The userinfo is the data servers' password, as in redis://; the
	// sentinels' is its own parameter.
	if f.Password != "datapw" || f.SentinelPassword != "sentpw" || f.TLSConfig != nil {
		t.Fatalf("sentinel credentials: password %q, sentinel password %q, tls %v", f.Password, f.SentinelPassword, f.TLSConfig)
	}
	if _, ok := o.NewClient().(*goredis.Client); !ok {
		t.Fatal("a Sentinel URL must give a failover client")
	}
	if _, ok := o.AsynqConnOpt().MakeRedisClient().(goredis.UniversalClient); !ok {
		t.Fatal("Asynq's connection must be a go-redis client")
	}

	o, err = ParseURL("redis-sentinel://h1:26379/0?master=asynq-style")
	if err != nil || o.failover.MasterName != "asynq-style" || o.failover.Password != "" {
		t.Fatalf("Asynq's master= spelling: %v %+v", err, o)
	}
	o, err = ParseURL("rediss-sentinel://h1,h2/0?master_name=m")
	if err != nil || o.failover.TLSConfig == nil {
		t.Fatalf("rediss-sentinel must use TLS: %v", err)
	}

	o, err = ParseURL("redis-cluster://user:pw@n1:7000,n2:7001,n3?read_timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	c := o.cluster
	if o.Mode() != "cluster" || strings.Join(c.Addrs, " ") != "n1:7000 n2:7001 n3:6379" || c.Username != "user" || c.Password != "pw" || c.ReadTimeout != time.Second {
		t.Fatalf("cluster options: %+v", c)
	}
	if _, ok := o.NewClient().(*goredis.ClusterClient); !ok {
		t.Fatal("a Cluster URL must give a cluster client")
	}

	o, err = ParseURL("redis://:pw@127.0.0.1:6380/4")
	if err != nil || o.Mode() != "single" || o.single.Addr != "127.0.0.1:6380" || o.single.DB != 4 || o.single.Password != "pw" {
		t.Fatalf("redis:// = %+v, %v", o, err)
	}
	var _ asynq.RedisConnOpt = o.AsynqConnOpt()
}

// A wrong REDIS_URL is refused with a sentence saying what is wrong, and
// never with the password in it.
func TestURLErrors(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:6379":                                  "unknown scheme",
		"redis-sentinel://:secretpw@h1,h2/0":                     "master_name",
		"redis-sentinel://:secretpw@/0?master_name=m":            "at least one host",
		"redis-sentinel://:secretpw@h1/0?master_name=m&x=1":      "unexpected option: x",
		"redis-sentinel://:secretpw@h1/0?master=a&master_name=b": "disagree",
		"redis-cluster://:secretpw@h1,h2/2":                      "only database 0",
		"redis://:secretpw@h1/x":                                 "database number",
		"redis://:secretpw@h1:6379/0\x7f":                        "not a URL",
	} {
		_, err := ParseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secretpw") || !strings.Contains(err.Error(), "REDIS_URL") {
			t.Errorf("%q: err = %v, want REDIS_URL and %q without the password", raw, err, want)
		}
	}
}
