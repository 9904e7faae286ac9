/* plan: the reconcile step as a pure function of (links, remote caches, local view): it
 * gathers each link's endpoints into slice sets, names and hashes them, and lists the writes. */
#include "reconcile/plan.h"

#include <stdlib.h>
#include <string.h>

#include "cache/svc_mode.h"

/* The endpoints of one slice set, gathered from every remote slice with that shape. */
typedef struct {
    slice_addr_type type;
    uint64_t ports_hash;
    const slice_port *ports;
    uint16_t nports;
    slice_ep *eps;          /* copies: the cache packs its endpoints */
    size_t neps, cap;
} plan_set;

struct plan_sets {
    plan_set *sets;
    size_t n, cap;
};

static void plan_sets_free(plan_sets *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        free(ss->sets[i].eps);
    free(ss->sets);
    memset(ss, 0, sizeof *ss);
}

static plan_set *plan_sets_find(plan_sets *ss, const slice_data *d)
{
    uint64_t ph = slice_ports_hash(d->ports, d->nports);
    for (size_t i = 0; i < ss->n; i++) {
        if (ss->sets[i].type == d->addr_type && ss->sets[i].ports_hash == ph)
            return &ss->sets[i];
    }
    if (ss->n == ss->cap) {
        size_t cap = ss->cap ? ss->cap * 2 : 4;
        plan_set *grown = realloc(ss->sets, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        ss->sets = grown;
        ss->cap = cap;
    }
    plan_set *s = &ss->sets[ss->n++];
    memset(s, 0, sizeof *s);
    s->type = d->addr_type;
    s->ports_hash = ph;
    s->ports = d->ports;
    s->nports = d->nports;
    return s;
}

static int plan_set_add(plan_set *s, const slice_ep *ep)
{
    if (s->neps == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        slice_ep *grown = realloc(s->eps, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        s->eps = grown;
        s->cap = cap;
    }
    s->eps[s->neps++] = *ep;
    return 0;
}

/* Sorts by address and keeps one endpoint per address: during a rollout the same pod can
 * sit in two remote slices for a moment. The first after sorting wins (deterministic). */
static void plan_set_finish(plan_set *s)
{
    if (s->neps > 1)
        qsort(s->eps, s->neps, sizeof *s->eps, slice_ep_cmp);
    size_t out = 0;
    for (size_t i = 0; i < s->neps; i++) {
        if (out > 0 && memcmp(s->eps[out - 1].addr, s->eps[i].addr, 16) == 0)
            continue;
        s->eps[out++] = s->eps[i];
    }
    s->neps = out;
}

static plan_action *plan_push(plan_output *out, plan_kind kind, const char *link)
{
    if (out->nactions == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        plan_action *grown = realloc(out->actions, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        out->actions = grown;
        out->cap = cap;
    }
    plan_action *a = &out->actions[out->nactions++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->link = link;
    return a;
}

const char *plan_local_ns(const plan_link *lk, const char *remote_ns)
{
    return lk->nsmap != NULL ? linkspec_local_ns(lk->nsmap, remote_ns) : remote_ns;
}

const remote_group *plan_exported(const plan_link *lk, const char *ns, const char *svc, const char **remote_ns)
{
    const char *rns = lk->nsmap != NULL ? linkspec_remote_ns(lk->nsmap, ns) : ns;
    if (remote_ns != NULL)
        *remote_ns = rns;
    /* Filters are about remote names. */
    if (rns == NULL || filter_check(lk->rules, rns, svc) != FILTER_ALLOW || ns_optout_out(lk->optout, rns))
        return NULL;
    const remote_group *g = remote_cache_group(lk->cache, rns, svc);
    /* singular: the Service stays in its own cluster. */
    if (g == NULL || g->svc == NULL || g->svc->mode == SVC_MODE_SINGULAR)
        return NULL;
    return g;
}

/* How the Service's mode shapes this plan. */
typedef struct {
    bool singular;      /* the local Service is singular: nothing is imported into it */
    bool held;          /* an active receiver: only source clusters' endpoints, selector held off */
    size_t sources;     /* links exporting it with mode source */
} plan_modes;

static bool plan_is_source(const plan_link *lk, const char *ns, const char *svc)
{
    const remote_group *g = lk->mode != PLAN_EMPTY ? plan_exported(lk, ns, svc, NULL) : NULL;
    return g != NULL && g->svc->mode == SVC_MODE_SOURCE;
}

/* A receiver (or a union Service whose other side says source, as the vmware controller
 * turned it into a receiver) holds its selector off only while a source exists: with none,
 * its own pods keep serving. Links not managing now still count, so a source cluster that
 * is briefly unreachable does not flip the selector back and forth. */
static plan_modes plan_modes_of(const plan_input *in, const main_view_svc *local, plan_output *out)
{
    plan_modes m = {0};
    for (size_t i = 0; i < in->nlinks; i++)
        m.sources += plan_is_source(&in->links[i], in->ns, in->svc);
    if (local == NULL)
        return m;
    m.singular = local->mode == SVC_MODE_SINGULAR;
    bool receiver = local->mode == SVC_MODE_RECEIVER || (local->mode == SVC_MODE_UNION && m.sources > 0);
    m.held = receiver && m.sources > 0;
    if (local->mode == SVC_MODE_UNKNOWN)
        out->mode_note = "unknown mode value: treated as no mode";
    else if (local->mode == SVC_MODE_RECEIVER && m.sources == 0)
        out->mode_note = "receiver without a source cluster: its selector is kept, its own pods serve";
    else if (m.held && m.sources > 1)
        out->mode_note = "more than one cluster claims source: the endpoints of all of them are used";
    return m;
}

/* The group whose endpoints become slices: exported and not an ExternalName. */
static const remote_group *plan_sliced(const plan_link *lk, const char *ns, const char *svc)
{
    const remote_group *g = plan_exported(lk, ns, svc, NULL);
    return g != NULL && !(g->svc->flags & REMOTE_EXTERNAL_NAME) ? g : NULL;
}

static bool plan_name_in(const plan_action *from, const plan_action *to, const char *name)
{
    for (const plan_action *a = from; a < to; a++) {
        if (a->kind == PLAN_WRITE_SLICE && strcmp(a->name, name) == 0)
            return true;
    }
    return false;
}

/* 1 when the link's address policy refuses ep (recorded in out->drops), 0 when it may be
 * written, -1 when out of memory. */
static int plan_policy_drop(const plan_link *lk, const slice_data *d, const slice_ep *ep, plan_output *out)
{
    int family = d->addr_type == SLICE_ADDR_IPV4 ? 4 : 6;
    addrpol_reason r = lk->policy != NULL ? addrpol_check(lk->policy, family, ep->addr) : ADDRPOL_PASS;
    if (r == ADDRPOL_PASS)
        return 0;
    if (out->ndrops == out->dcap) {
        size_t cap = out->dcap ? out->dcap * 2 : 8;
        plan_drop *grown = realloc(out->drops, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        out->drops = grown;
        out->dcap = cap;
    }
    plan_drop *dr = &out->drops[out->ndrops++];
    memset(dr, 0, sizeof *dr);
    dr->link = lk->name;
    dr->family = (uint8_t)family;
    dr->reason = (uint8_t)r;
    memcpy(dr->addr, ep->addr, 16);
    return 1;
}

/* The wanted slices of one link for the Service, as slice descs (written or not: the
 * names matter for what to delete). Wanted slices equal to what is there give no action
 * but are still listed, marked by a NULL link, until plan_drop_unchanged. */
static int plan_link_slices(const plan_input *in, const plan_link *lk, plan_sets *ss, const main_view_svc *local,
                            const plan_modes *m, plan_output *out, int64_t *total)
{
    const remote_group *g = local != NULL && !local->unsyncable && !m->singular ? plan_sliced(lk, in->ns, in->svc) : NULL;
    if (g != NULL && m->held && g->svc->mode != SVC_MODE_SOURCE)
        g = NULL; /* a held receiver takes only the source clusters' endpoints */
    *total = 0;
    for (const remote_slice *rs = g != NULL ? g->slices : NULL; rs != NULL; rs = rs->next) {
        if (rs->data.addr_type == SLICE_ADDR_NONE || rs->data.neps == 0)
            continue;
        plan_set *set = plan_sets_find(ss, &rs->data);
        if (set == NULL)
            return -1;
        for (uint32_t i = 0; i < rs->data.neps; i++) {
            slice_ep ep = slice_data_ep(&rs->data, i);
            int drop = plan_policy_drop(lk, &rs->data, &ep, out);
            if (drop < 0 || (drop == 0 && plan_set_add(set, &ep) != 0))
                return -1;
        }
    }
    size_t first = out->nactions;
    for (size_t i = 0; i < ss->n; i++) {
        plan_set *set = &ss->sets[i];
        plan_set_finish(set);
        *total += (int64_t)set->neps;
        for (size_t off = 0, chunk = 0; off < set->neps; off += SLICE_MAX_ENDPOINTS, chunk++) {
            plan_action *a = plan_push(out, PLAN_WRITE_SLICE, lk->name);
            if (a == NULL)
                return -1;
            slice_name(a->name, in->ns, in->svc, lk->name, set->type, set->ports_hash, (unsigned)chunk);
            size_t n = set->neps - off < SLICE_MAX_ENDPOINTS ? set->neps - off : SLICE_MAX_ENDPOINTS;
            a->desc = (slice_desc){.ns = in->ns, .service = in->svc, .link = lk->name, .owner_uid = local->uid,
                                   .addr_type = set->type, .ports = set->ports, .nports = set->nports,
                                   .eps = set->eps + off, .neps = n,
                                   .hostname_suffix = local->headless ? lk->name : NULL,
                                   .zone_hint = local->prefer_close ? SLICE_REMOTE_ZONE : NULL};
            a->desc.name = a->name;
            a->observed = main_view_slice_get(in->view, in->ns, a->name);
        }
    }
    /* svclink (Go)'s slices go only once ours are all there as wanted: never a moment
     * without endpoints. Our write requeues the Service, so the pass after it deletes. */
    bool ours_current = true;
    for (plan_action *a = out->actions + first; a < out->actions + out->nactions && ours_current; a++) {
        const main_view_slice *o = a->observed;
        a->desc.name = a->name; /* the array may have moved since it was set */
        ours_current = o != NULL && !main_view_slice_writing(in->view, o->ns, o->name) && !o->foreign && o->hash == slice_desc_hash(&a->desc) &&
                       strcmp(o->service, a->desc.service) == 0;
    }
    /* Everything else of this link for this Service goes. */
    for (const main_view_slice *s = main_view_slices_of(in->view, in->ns, in->svc); s != NULL; s = s->next) {
        if (strcmp(s->link, lk->name) != 0 || main_view_slice_writing(in->view, s->ns, s->name) ||
            (s->foreign && !ours_current))
            continue;
        if (plan_name_in(out->actions + first, out->actions + out->nactions, s->name))
            continue;
        plan_action *a = plan_push(out, PLAN_DELETE_SLICE, lk->name);
        if (a == NULL)
            return -1;
        a->observed = s;
    }
    return 0;
}

static int plan_empty_link(const plan_input *in, const char *link, plan_output *out)
{
    for (const main_view_slice *s = main_view_slices_of(in->view, in->ns, in->svc); s != NULL; s = s->next) {
        if (strcmp(s->link, link) != 0 || main_view_slice_writing(in->view, s->ns, s->name))
            continue;
        plan_action *a = plan_push(out, PLAN_DELETE_SLICE, link);
        if (a == NULL)
            return -1;
        a->observed = s;
    }
    return 0;
}

static bool plan_link_known(const plan_input *in, const char *name)
{
    for (size_t i = 0; i < in->nlinks; i++) {
        if (strcmp(in->links[i].name, name) == 0)
            return true;
    }
    return false;
}

/* A Service svclink created stays while a link may still want it: one that exports it
 * now, or one whose view cannot be trusted right now (disabled, syncing, partitioned) and
 * that made it or has slices in it. */
static bool plan_service_held(const plan_input *in, const main_view_svc *local)
{
    for (size_t i = 0; i < in->nlinks; i++) {
        const plan_link *lk = &in->links[i];
        if (lk->mode == PLAN_MANAGE && plan_exported(lk, in->ns, in->svc, NULL) != NULL)
            return true;
        if (lk->mode != PLAN_KEEP)
            continue;
        if (strcmp(local->source, lk->name) == 0)
            return true;
        for (const main_view_slice *s = main_view_slices_of(in->view, in->ns, in->svc); s != NULL; s = s->next) {
            if (strcmp(s->link, lk->name) == 0)
                return true;
        }
    }
    return false;
}

static bool plan_service_differs(const main_view_svc *local, const remote_svc *r)
{
    if (local->ports_hash != svc_ports_hash(r->ports, r->nports))
        return true;
    return local->external && local->external_hash != main_view_external_hash(r->external_name);
}

/* Another link exporting an ExternalName with a different target loses to the creator:
 * one local Service can name one target. */
static void plan_note_conflict(const plan_input *in, size_t creator, const remote_svc *r, plan_output *out)
{
    for (size_t i = creator + 1; i < in->nlinks && r->external_name != NULL; i++) {
        const plan_link *lk = &in->links[i];
        const remote_group *g = lk->mode == PLAN_MANAGE ? plan_exported(lk, in->ns, in->svc, NULL) : NULL;
        if (g != NULL && (g->svc->external_name == NULL || strcmp(g->svc->external_name, r->external_name) != 0)) {
            out->ignored_link = lk->name;
            return;
        }
    }
}

/* A Service svclink created stays svclink's until someone gives it a selector or a mode:
 * then it is theirs (a migration target being taken over) and is never changed again. */
static bool plan_ours(const main_view_svc *local)
{
    return local->created_by_us && !local->has_selector && local->mode == SVC_MODE_NONE;
}

/* Holds the selector off while the Service is an active receiver, and puts it back exactly
 * once it is not; a stash that does not check out is never applied, only reported. */
static int plan_selector(const main_view_svc *local, const plan_modes *m, plan_output *out)
{
    if (local == NULL)
        return 0;
    plan_kind kind;
    if (m->held && !local->has_selector && local->stash != NULL) {
        kind = PLAN_CLEAR_CONTROLLER_SLICES;
    } else if (m->held && local->has_selector) {
        if (local->stash != NULL) {
            out->mode_note = "receiver has both a selector and a stash: nothing changed (remove one)";
            return 0;
        }
        if (local->selector == NULL) {
            out->mode_note = "receiver's selector is too long to stash: kept";
            return 0;
        }
        kind = PLAN_STASH_SELECTOR;
    } else if (!m->held && local->stash != NULL) {
        if (svc_mode_stash_check(local->stash, local->stash_len, out->mode_detail, sizeof out->mode_detail) != 0) {
            out->mode_note = "stashed selector refused: not restored (fix or remove the annotation)";
            return 0;
        }
        if (local->has_selector) {
            out->mode_note = "a selector is set and a stash is left: the stash is kept, the selector not replaced";
            return 0;
        }
        kind = PLAN_RESTORE_SELECTOR;
    } else {
        return 0;
    }
    plan_action *a = plan_push(out, kind, "");
    if (a == NULL)
        return -1;
    a->local = local;
    return 0;
}

/* The first managing link (by name) that exports the Service and may create Services is
 * its creator: it makes a missing one and keeps one svclink made in line with its remote. */
static int plan_local_service(const plan_input *in, const main_view_svc *local, plan_output *out)
{
    for (size_t i = 0; i < in->nlinks; i++) {
        const plan_link *lk = &in->links[i];
        const char *rns = NULL;
        const remote_group *g = lk->mode == PLAN_MANAGE && lk->create_services ? plan_exported(lk, in->ns, in->svc, &rns)
                                                                           : NULL;
        if (g == NULL)
            continue;
        plan_note_conflict(in, i, g->svc, out);
        plan_kind kind;
        if (local == NULL)
            kind = PLAN_CREATE_SERVICE;
        else if (!plan_ours(local))
            return 0;
        else if (local->external != ((g->svc->flags & REMOTE_EXTERNAL_NAME) != 0) ||
                 (!local->external && local->headless != ((g->svc->flags & REMOTE_HEADLESS) != 0)))
            kind = PLAN_DELETE_SERVICE; /* type or clusterIP None changes: made again afterwards */
        else if (plan_service_differs(local, g->svc))
            kind = PLAN_PATCH_SERVICE;
        else
            return 0;
        plan_action *a = plan_push(out, kind, lk->name);
        if (a == NULL)
            return -1;
        a->rsvc = g->svc;
        a->remote_ns = rns;
        a->local = local;
        return 0;
    }
    if (local == NULL || !plan_ours(local) || !in->links_known || plan_service_held(in, local))
        return 0;
    plan_action *a = plan_push(out, PLAN_DELETE_SERVICE, local->source);
    if (a == NULL)
        return -1;
    a->local = local;
    return 0;
}

/* Wanted slices already equal to what is there need no write: drop them (they were kept
 * so far only so their names were not deleted). desc.name is re-pointed after the move. */
static void plan_drop_unchanged(const main_view *view, plan_output *out)
{
    size_t w = 0;
    for (size_t r = 0; r < out->nactions; r++) {
        plan_action *a = &out->actions[r];
        a->desc.name = a->name; /* the array may have moved since it was set */
        if (a->kind == PLAN_WRITE_SLICE && a->observed != NULL && !a->observed->foreign &&
            (main_view_slice_writing(view, a->observed->ns, a->observed->name) ||
             (a->observed->hash == slice_desc_hash(&a->desc) && strcmp(a->observed->service, a->desc.service) == 0)))
            continue;
        if (w != r) {
            out->actions[w] = *a;
            out->actions[w].desc.name = out->actions[w].name;
        }
        w++;
    }
    out->nactions = w;
}

int plan_service(const plan_input *in, plan_output *out)
{
    memset(out, 0, sizeof *out);
    const main_view_svc *local = main_view_service(in->view, in->ns, in->svc);
    out->sets = calloc(in->nlinks ? in->nlinks : 1, sizeof *out->sets);
    out->counts = calloc(in->nlinks ? in->nlinks : 1, sizeof *out->counts);
    if (out->sets == NULL || out->counts == NULL)
        goto oom;
    out->nsets = in->nlinks;
    plan_modes m = plan_modes_of(in, local, out);
    if (plan_local_service(in, local, out) != 0 || plan_selector(local, &m, out) != 0)
        goto oom;
    for (size_t i = 0; i < in->nlinks; i++) {
        const plan_link *lk = &in->links[i];
        int64_t total = 0;
        if (lk->mode == PLAN_KEEP)
            continue;
        if (lk->mode == PLAN_EMPTY ? plan_empty_link(in, lk->name, out)
                                   : plan_link_slices(in, lk, &out->sets[i], local, &m, out, &total))
            goto oom;
        out->counts[out->ncounts++] = (plan_count){.link = lk->name, .endpoints = total};
    }
    /* Slices of links that no longer exist (known only once ClusterLinks are listed). */
    if (in->links_known) {
        for (const main_view_slice *s = main_view_slices_of(in->view, in->ns, in->svc); s != NULL; s = s->next) {
            if (main_view_slice_writing(in->view, s->ns, s->name) || plan_link_known(in, s->link))
                continue;
            plan_action *a = plan_push(out, PLAN_DELETE_SLICE, s->link);
            if (a == NULL)
                goto oom;
            a->observed = s;
        }
    }
    plan_drop_unchanged(in->view, out);
    return 0;
oom:
    plan_output_free(out);
    return -1;
}

void plan_output_free(plan_output *out)
{
    for (size_t i = 0; i < out->nsets; i++)
        plan_sets_free(&out->sets[i]);
    free(out->sets);
    free(out->actions);
    free(out->counts);
    free(out->drops);
    memset(out, 0, sizeof *out);
}
