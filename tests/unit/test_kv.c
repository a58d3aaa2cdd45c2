/* SPDX-License-Identifier: Apache-2.0 */
/* kv_split on real `scontrol -o` lines and on the hard cases: values with
 * spaces, Reason text with '=' inside, keys with '/', empty values. */
#include "testutil.h"

#include "sources/kv.h"

#define MAXKV 128

static const struct kv *must_find(const struct kv *kv, size_t n, const char *key)
{
    const struct kv *f = kv_find(kv, n, key);
    if (!f)
        fail_msg("key %s not found", key);
    return f;
}

#define assert_val(kv, n, key, want)                                                               \
    do {                                                                                           \
        const struct kv *f_ = must_find(kv, n, key);                                               \
        assert_strn_equal(f_->val, f_->vlen, want);                                                \
    } while (0)

static size_t split(const char *line, struct kv *kv)
{
    return kv_split(line, strlen(line), kv, MAXKV);
}

/* First line of the 22.05 fixture: 40 pairs, the tricky ones checked. */
static void test_fixture_node_line(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_nodes.txt", &len);
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    struct kv kv[MAXKV];
    size_t n = kv_split(buf, (size_t)(nl - buf), kv, MAXKV);
    assert_int_equal(n, 40);
    assert_strn_equal(kv[0].key, kv[0].klen, "NodeName");
    assert_val(kv, n, "NodeName", "cn001");
    assert_val(kv, n, "CoresPerSocket", "16"); /* followed by two spaces */
    assert_val(kv, n, "CPUAlloc", "1");
    assert_val(kv, n, "CPUEfctv", "32");
    assert_val(kv, n, "CPULoad", "0.34");
    assert_val(kv, n, "Gres", "(null)");
    assert_val(kv, n, "GresUsed", "gpu:0");
    assert_val(kv, n, "OS", "Linux 6.18.44-fc-v769 #1 SMP PREEMPT_DYNAMIC @0");
    assert_val(kv, n, "RealMemory", "192000");
    assert_val(kv, n, "FreeMem", "23259");
    assert_val(kv, n, "State", "MIXED");
    assert_val(kv, n, "Partitions", "debug,batch,maint");
    assert_val(kv, n, "CfgTRES", "cpu=32,mem=187.50G,billing=32");
    assert_val(kv, n, "AllocTRES", "cpu=1,mem=2000M");
    assert_val(kv, n, "AvailableFeatures", "cpu");
    assert_val(kv, n, "CapWatts", "n/a");
    assert_val(kv, n, "ExtSensorsTemp", "n/s");
    assert_null(kv_find(kv, n, "Reason"));
    assert_null(kv_find(kv, n, "Node")); /* whole keys only */

    /* third line: drained with a Reason at the end of the line */
    char *l3 = strchr(nl + 1, '\n');
    assert_non_null(l3);
    l3++;
    char *l3e = strchr(l3, '\n');
    assert_non_null(l3e);
    n = kv_split(l3, (size_t)(l3e - l3), kv, MAXKV);
    assert_int_equal(n, 41);
    assert_val(kv, n, "NodeName", "cn003");
    assert_val(kv, n, "State", "IDLE+DRAIN");
    assert_val(kv, n, "Reason", "disk replaced [root@1795424586]");
    assert_val(kv, n, "AllocTRES", ""); /* empty value before the next key */
    free(buf);
}

static void test_fixture_partition_line(void **state)
{
    (void)state;
    size_t len;
    char *buf = tu_read_rel("tests/fixtures/22.05/exporter_partitions.txt", &len);
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    struct kv kv[MAXKV];
    size_t n = kv_split(buf, (size_t)(nl - buf), kv, MAXKV);
    assert_int_equal(n, 33);
    assert_val(kv, n, "PartitionName", "debug");
    assert_val(kv, n, "Default", "YES");
    assert_val(kv, n, "MaxTime", "00:30:00");
    assert_val(kv, n, "JobDefaults", "(null)");
    assert_val(kv, n, "TRES", "cpu=160,mem=937.50G,node=5,billing=160");
    free(buf);
}

static void test_value_with_spaces(void **state)
{
    (void)state;
    struct kv kv[MAXKV];
    size_t n = split("NodeName=a OS=Linux 6.1 #1 SMP PREEMPT Debian 6.1.0-1 (2023-01-01) "
                     "RealMemory=1000",
                     kv);
    assert_int_equal(n, 3);
    assert_val(kv, n, "OS", "Linux 6.1 #1 SMP PREEMPT Debian 6.1.0-1 (2023-01-01)");
    assert_val(kv, n, "RealMemory", "1000");
    /* trailing spaces are not part of the last value */
    n = split("A=1 B=two words   ", kv);
    assert_int_equal(n, 2);
    assert_val(kv, n, "B", "two words");
}

static void test_reason_with_equals(void **state)
{
    (void)state;
    struct kv kv[MAXKV];
    size_t n = split("NodeName=cn1 State=DOWN Reason=no heartbeat x=y [root@1795424146] "
                     "Comment=c1",
                     kv);
    assert_int_equal(n, 4);
    assert_val(kv, n, "Reason", "no heartbeat x=y [root@1795424146]");
    assert_val(kv, n, "Comment", "c1");
    assert_null(kv_find(kv, n, "x"));

    /* Reason last on the line, with brackets */
    n = split("NodeName=cn1 Reason=no heartbeat x=y [root@1795424146]", kv);
    assert_int_equal(n, 2);
    assert_val(kv, n, "Reason", "no heartbeat x=y [root@1795424146]");

    /* brackets without '@' are part of the text */
    n = split("NodeName=cn1 Reason=bad dimm [slot 3] x=y [slurm@1700000000] Port=1", kv);
    assert_int_equal(n, 3);
    assert_val(kv, n, "Reason", "bad dimm [slot 3] x=y [slurm@1700000000]");
    assert_val(kv, n, "Port", "1");
}

static void test_reason_without_brackets(void **state)
{
    (void)state;
    struct kv kv[MAXKV];
    size_t n = split("NodeName=cn9 State=DOWN+NOT_RESPONDING Reason=Not responding", kv);
    assert_int_equal(n, 3);
    assert_val(kv, n, "State", "DOWN+NOT_RESPONDING");
    assert_val(kv, n, "Reason", "Not responding");
    /* with '=' and trailing blanks */
    n = split("NodeName=cn9 Reason=Kill task failed a=b  ", kv);
    assert_int_equal(n, 2);
    assert_val(kv, n, "Reason", "Kill task failed a=b");
    /* empty Reason at the end */
    n = split("NodeName=cn9 Reason=", kv);
    assert_int_equal(n, 2);
    assert_val(kv, n, "Reason", "");
}

static void test_keys_with_slash(void **state)
{
    (void)state;
    struct kv kv[MAXKV];
    size_t n =
        split("CfgTRES=cpu=96,mem=500G,billing=96,gres/gpu=4 AllocTRES=cpu=8,gres/gpu:a100=2 "
              "gres/gpu:a100=2 Features=a.b-c",
              kv);
    assert_int_equal(n, 4);
    assert_val(kv, n, "CfgTRES", "cpu=96,mem=500G,billing=96,gres/gpu=4");
    assert_val(kv, n, "AllocTRES", "cpu=8,gres/gpu:a100=2");
    assert_val(kv, n, "gres/gpu:a100", "2");
    assert_val(kv, n, "Features", "a.b-c");
}

static void test_stray_tokens_and_limits(void **state)
{
    (void)state;
    struct kv kv[MAXKV];
    /* a leading token that is not Key= is skipped; so is a key starting with a digit */
    size_t n = split("   junk NodeName=x 9Key=1", kv);
    assert_int_equal(n, 1);
    assert_val(kv, n, "NodeName", "x 9Key=1");
    n = split("", kv);
    assert_int_equal(n, 0);
    n = split("no pairs at all", kv);
    assert_int_equal(n, 0);
    n = split("=5 A=1", kv); /* empty key: not a key */
    assert_int_equal(n, 1);
    assert_val(kv, n, "A", "1");
    /* the output array bound is respected */
    struct kv two[2];
    n = kv_split("A=1 B=2 C=3 D=4", 15, two, 2);
    assert_int_equal(n, 2);
    assert_strn_equal(two[1].key, two[1].klen, "B");
    assert_strn_equal(two[1].val, two[1].vlen, "2");
    /* the length is honoured: nothing past len is read */
    n = kv_split("A=1 B=2", 3, kv, MAXKV);
    assert_int_equal(n, 1);
    assert_val(kv, n, "A", "1");
    /* kv_find returns the first of duplicate keys */
    n = split("A=1 A=2", kv);
    assert_int_equal(n, 2);
    assert_val(kv, n, "A", "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_node_line),
        cmocka_unit_test(test_fixture_partition_line),
        cmocka_unit_test(test_value_with_spaces),
        cmocka_unit_test(test_reason_with_equals),
        cmocka_unit_test(test_reason_without_brackets),
        cmocka_unit_test(test_keys_with_slash),
        cmocka_unit_test(test_stray_tokens_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
