/*
 * kernel.c - the kernel tables' writer (see kernel.h): one transaction, one
 * prepared INSERT per table in a table indexed by enum store_ktab.
 *
 * States of a struct store_kernel:
 *   OPEN    after store_kernel_begin(): inside BEGIN, statements prepared,
 *           err == 0;
 *   FAILED  err != 0: a statement failed; every put returns err, end
 *           rolls back;
 *   (freed) after store_kernel_end().
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "store/embedded.h"
#include "store/kernel.h"
#include "store/store_int.h"

static const struct {
	const char *sql;
	int ncols;
} kernel_insert[STORE_K_N] = {
	[STORE_K_EXITS] = { "INSERT INTO kernel_exits(id,t_ns,vcpu,isa,reason,reason_name,rip,"
			    "info1,info2,user_seq) VALUES(?,?,?,?,?,?,?,?,?,?)", 10 },
	[STORE_K_ENTRIES] = { "INSERT INTO kernel_entries(kexit_id,t_ns,rip,immediate_exit)"
			      " VALUES(?,?,?,?)", 4 },
	[STORE_K_PIO] = { "INSERT INTO kernel_pio(kexit_id,t_ns,vcpu,port,size,is_write,count,val)"
			  " VALUES(?,?,?,?,?,?,?,?)", 8 },
	[STORE_K_MMIO] = { "INSERT INTO kernel_mmio(kexit_id,t_ns,vcpu,type,len,gpa,val)"
			   " VALUES(?,?,?,?,?,?,?)", 7 },
	[STORE_K_MSR] = { "INSERT INTO kernel_msr(kexit_id,t_ns,vcpu,msr,is_write,data,fault)"
			  " VALUES(?,?,?,?,?,?,?)", 7 },
	[STORE_K_CPUID] = { "INSERT INTO kernel_cpuid(kexit_id,t_ns,vcpu,function,idx,rax,rbx,"
			    "rcx,rdx,found) VALUES(?,?,?,?,?,?,?,?,?,?)", 10 },
	[STORE_K_USERSPACE] = { "INSERT INTO kernel_userspace(kexit_id,t_ns,vcpu,reason,errno)"
				" VALUES(?,?,?,?,?)", 5 },
	[STORE_K_EVENTS] = { "INSERT INTO kernel_events(kexit_id,t_ns,vcpu,event,info)"
			     " VALUES(?,?,?,?,?)", 5 },
};

struct store_kernel {
	sqlite3 *db;
	sqlite3_stmt *ins[STORE_K_N];
	int64_t next_id;
	int err;
	char msg[256];
};

static int kernel_fail(struct store_kernel *k, int rc, const char *what)
{
	if (!k->err) {
		k->err = rc;
		store_seterr(k->msg, sizeof(k->msg), "ktrace: %s: %s", what, sqlite3_errmsg(k->db));
	}
	return k->err;
}

int store_kernel_begin(struct store *s, struct store_kernel **out, char *err, size_t errlen)
{
	const char *schema = embedded_get("schema/ktrace.sql");
	struct store_kernel *k;
	sqlite3_stmt *q = NULL;
	char *msg = NULL;

	*out = NULL;
	if (!schema) {
		store_seterr(err, errlen, "ktrace: schema/ktrace.sql is not embedded");
		return -EIO;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		store_seterr(err, errlen, "ktrace: out of memory");
		return -ENOMEM;
	}
	k->db = store_db(s);
	if (sqlite3_exec(k->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(k->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
		store_seterr(err, errlen, "ktrace: %s", msg ? msg : sqlite3_errmsg(k->db));
		sqlite3_free(msg);
		free(k);
		return -EIO;
	}
	k->next_id = 1;
	if (sqlite3_prepare_v2(k->db, "SELECT coalesce(max(id), 0) + 1 FROM kernel_exits",
			       -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		k->next_id = sqlite3_column_int64(q, 0);
	else
		kernel_fail(k, -EIO, "kernel_exits");
	sqlite3_finalize(q);
	for (int t = 0; t < STORE_K_N && !k->err; t++)
		if (sqlite3_prepare_v2(k->db, kernel_insert[t].sql, -1, &k->ins[t], NULL) != SQLITE_OK)
			kernel_fail(k, -EIO, "prepare");
	if (k->err) {
		int rc = k->err;

		store_kernel_end(k, false, err, errlen);
		return rc;
	}
	*out = k;
	return 0;
}

int64_t store_kernel_next_id(const struct store_kernel *k)
{
	return k->next_id;
}

int store_kernel_exits(struct store_kernel *k,
		       int (*fn)(void *arg, int64_t seq, int64_t vcpu, int64_t t_ns),
		       void *arg)
{
	sqlite3_stmt *q = NULL;
	int rc = 0, src;

	if (k->err)
		return k->err;
	if (sqlite3_prepare_v2(k->db, "SELECT seq, vcpu, t_ns FROM exits ORDER BY seq",
			       -1, &q, NULL) != SQLITE_OK)
		return kernel_fail(k, -EIO, "reading exits");
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		rc = fn(arg, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
			sqlite3_column_int64(q, 2));
		if (rc)
			break;
	}
	if (!rc && src != SQLITE_DONE)
		rc = kernel_fail(k, -EIO, "reading exits");
	sqlite3_finalize(q);
	return rc;
}

int store_kernel_put(struct store_kernel *k, enum store_ktab t, const struct store_kval *v)
{
	sqlite3_stmt *s;
	int rc;

	assert(t >= 0 && t < STORE_K_N);
	if (k->err)
		return k->err;
	s = k->ins[t];
	for (int i = 0; i < kernel_insert[t].ncols; i++) {
		if (v[i].s)
			sqlite3_bind_text(s, i + 1, v[i].s, -1, SQLITE_STATIC);
		else if (v[i].null)
			sqlite3_bind_null(s, i + 1);
		else
			sqlite3_bind_int64(s, i + 1, v[i].i);
	}
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : kernel_fail(k, -EIO, "insert");
}

int store_kernel_end(struct store_kernel *k, bool commit, char *err, size_t errlen)
{
	int rc;

	for (int t = 0; t < STORE_K_N; t++)
		sqlite3_finalize(k->ins[t]);
	if (commit && !k->err && sqlite3_exec(k->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		kernel_fail(k, -EIO, "commit");
	rc = k->err;
	if (rc || !commit)
		sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc)
		store_seterr(err, errlen, "%s", k->msg);
	free(k);
	return rc;
}
