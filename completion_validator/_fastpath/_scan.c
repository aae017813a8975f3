/* One pass over JSON bytes that can only say "certainly clean" (True) or "not sure" (False).
 *
 * What it checks while reading, without building a Python object: the JSON grammar as the
 * strict parser reads it (UTF-8, escapes, no lone surrogates, no duplicate key), the schema
 * program compiled in Python from the derived schema files (_program.py: types, string enums,
 * required members, integer bounds), and the facts the rule screen needs (created, id, usage
 * arithmetic, choice indexes, logprob lengths, offsets; for chat, what a finished message says, a
 * tool call's arguments, a token's bytes), which the program marks by role.
 *
 * It is an accelerator, never the definition: anything unusual (a float where an integer is
 * expected, an exponent past 300, 19 digits, a key repeated, nesting past 64 levels) answers
 * False, and the document takes the exact path. Memory: one arena for decoded keys, and the
 * growable buffers of the checks (choice indexes, truth, chat, unnamed keys), all bounded by the
 * input's length and freed on return.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef SOURCE_DIGEST
#define SOURCE_DIGEST "unknown"
#endif

enum {
    T_NULL = 1, T_BOOLEAN = 2, T_OBJECT = 4, T_ARRAY = 8, T_NUMBER = 16, T_INTEGER = 32, T_STRING = 64,
    T_ANY = 127,
};

/* Roles: what the rule screen needs from a node (set by _program.py, by path). From R_MESSAGE on,
 * chat's (chat.py's twin): a message, the members that say something, its tool calls and their
 * arguments; a token logprob item (R_LP_ITEM) or one of its alternatives (R_LP_TOP), whose token
 * and bytes must agree. */
enum {
    R_NONE = 0, R_ROOT, R_CREATED, R_ID, R_USAGE, R_PROMPT, R_COMPLETION, R_TOTAL,
    R_DETAILS_PROMPT, R_DETAILS_COMPLETION, R_DETAIL_COUNT, R_CHOICES, R_CHOICE, R_INDEX, R_LOGPROBS,
    R_LOGPROB_ARRAY, R_OFFSET, R_TOKEN, R_TEXT, R_FINISH, R_TOKEN_LOGPROB, R_TOP_ITEM, R_TOP_VALUE,
    R_MESSAGE, R_SAYS, R_FUNCTION_CALL, R_TOOL_CALLS, R_ARGUMENTS, R_LP_ITEM, R_LP_TOP, R_LP_TOKEN, R_LP_BYTES,
    R_LP_BYTE, R_ROLES
};

/* What a choice's finish_reason is, to the chat checks. */
enum { FINISH_OTHER = 0, FINISH_STOP, FINISH_TOOL_CALLS, FINISH_FUNCTION_CALL };

/* Roles whose value the screen needs as an integer: any other kind of value is for the rules. */
#define COUNTED(role) \
    ((role) == R_CREATED || (role) == R_INDEX || (role) == R_PROMPT || (role) == R_COMPLETION || \
     (role) == R_TOTAL || (role) == R_DETAIL_COUNT || (role) == R_OFFSET)

#define NO_NODE (-1)
#define CLOSED (-2)
#define MAX_DEPTH 64
/* Keys a schema does not name, compared one by one up to this many in an object; beyond, hashed
   (a top_logprobs item with 100 alternatives). */
#define MAX_OTHER_KEYS 16
/* Choice indexes checked with one 64-bit mask up to this many choices; beyond, with a byte each. */
#define MAX_CHOICES 64
#define MAX_PROPS 64
#define MAX_INT_DIGITS 18
#define MAX_MAGNITUDE 308 /* digits before the point + exponent: beyond, Python may read inf */
#define MAX_DIGITS 300
#define MAX_FAILURES 16
#define MAX_CONDITIONS 8
/* Values a walk of a Python value visits at most: shared sub-objects (x = [x, x], sixty times)
   make a value whose JSON text is astronomically long; past this the walker says so (None). */
#define WALK_BUDGET 16777216 /* 2 ** 24 */
/* A walk checks for Ctrl-C every this many values. */
#define SIGNAL_EVERY 0xFFFF

/* What the value helpers answer besides yes (1) and "not sure" (0): a failure `judge` may report. */
#define FAIL_TYPE 2
#define FAIL_ENUM 3
#define FAIL_REQUIRED 4
/* The keyword of a failure `judge` hands back (the first item of each failure tuple). */
#define KEPT_TYPE 0
#define KEPT_ENUM 1
#define KEPT_REQUIRED 2
/* A choice whose index is not an integer: the index rules pass over it (the rules' `_int` is None). */
#define UNKNOWN_INDEX LLONG_MIN

typedef struct {
    const char *name;
    Py_ssize_t length;
    int node;
} Prop;

/* A member required when another (the discriminator) is a given string: `allOf` of if/then. */
typedef struct {
    int prop;            /* the discriminator's position among the node's props */
    const char *value;   /* the string it is compared with (no escape in it) */
    Py_ssize_t length;
    uint64_t then;       /* the props then required */
} Condition;

typedef struct {
    int types;
    int role;
    int enum_null;       /* null is in the enum */
    Py_ssize_t n_enum;   /* 0: no enum; else the strings below, and null if enum_null */
    Py_ssize_t enum_first;
    int n_props;
    int prop_first;
    uint64_t required;
    int n_required;
    signed char required_order[MAX_PROPS]; /* the `required` list's order: the order its errors come in */
    int additional;      /* NO_NODE: anything; CLOSED: no other member; else a node */
    int items;           /* NO_NODE: anything */
    int has_minimum, has_maximum;
    long long minimum, maximum;
    int n_conditions, condition_first;
} Node;

typedef struct {
    PyObject_HEAD
    Node *nodes;
    Py_ssize_t n_nodes;
    Prop *props;
    Py_ssize_t n_props;
    const char **enum_values;
    Py_ssize_t *enum_lengths;
    Py_ssize_t n_enum_values;
    Condition *conditions;
    PyObject *keep;      /* the bytes the names and enum values point into */
    long long earliest;
    long long one_day;
    int chunk;
} Scanner;

/* One step of the path to the value being read (kept only when judging). */
typedef struct {
    const char *key; /* a member's key (in the input, or an offset into the arena: 0 is one) */
    Py_ssize_t length; /* the key's length, or the array index */
    int in_arena;
    int is_index;
} Step;

/* The truth checks' view of one choice (response.py's twin, truth.py): its text, its tokens joined,
 * and the offsets, log-probabilities and chosen alternatives, compared when the choice closes. */
typedef struct {
    char *text;
    size_t text_len, text_cap;
    int text_seen;
    char *joined;
    size_t joined_len, joined_cap;
    uint32_t *starts;  /* where each token's UTF-8 bytes begin in `joined` (the next one's start ends
                        * it): 4 bytes a token, so a 200 MB document's 1.6 million tokens cost 6 MB */
    Py_ssize_t n_tokens, tokens_cap;
    /* Offsets and chosen alternatives are compared as they come where what they are compared with
     * came first (the usual order: tokens, token_logprobs, top_logprobs, text_offset), so a large
     * document keeps neither; otherwise they are kept and compared when the choice closes. */
    long long *offsets;
    Py_ssize_t n_offsets, offsets_cap;
    int offsets_streamed;  /* -1 undecided; 1 when the tokens came first: compared as they come */
    unsigned steps;        /* the ways the streamed offsets step by their tokens so far (bit = way) */
    long long last_offset;
    double *logprobs;  /* NaN: null */
    Py_ssize_t n_logprobs, logprobs_cap;
    double *chosen;    /* top_logprobs[i][tokens[i]], NaN where the item does not list it */
    Py_ssize_t n_chosen, chosen_cap;
    int chosen_streamed;   /* -1 undecided; 1 when token_logprobs came first: compared as they come */
    double current_chosen; /* the chosen alternative's log-probability in the item being read */
    int chosen_differs;    /* a streamed chosen alternative disagreed with token_logprobs */
    int key_is_chosen; /* the member being read is the chosen token's */
    int finish_stop;   /* finish_reason is "stop": tokens may run past the text (the stop sequence's) */
    int skip;          /* a bytes: token or a token that is not a string: the rules pass over the choice */
    int not_sure;      /* read in an order the checks cannot follow (alternatives before their tokens) */
} Truth;

/* A chat token's text and bytes, as chat.py's `chat-logprob-bytes` compares them. */
typedef struct {
    char *token;
    size_t token_len, token_cap;
    int token_string;   /* `token` is a string (else the rule passes over the item) */
    int token_split;    /* it holds U+FFFD: a character split between tokens, which the rule passes over */
    char *bytes;
    size_t bytes_len, bytes_cap;
    int bytes_list;     /* `bytes` is an array */
    int bytes_odd;      /* an item that is not a byte value: the rule passes over the item */
} TokenBytes;

/* The chat checks' view of one choice: what its message says, its finish_reason, and the token
 * logprob item being read (0) with the alternative inside it (1). */
typedef struct {
    int message_seen, said, tool_calls, function_call, finish;
    int level;
    TokenBytes at[2];
} Chat;

typedef struct {
    const unsigned char *p, *end, *start;
    const Scanner *sc;
    char *arena;
    size_t arena_len, arena_cap;
    int depth;
    long long latest;
    /* facts for the screen */
    int created_seen;
    int usage_seen, prompt_seen, completion_seen, total_seen;
    long long prompt, completion, total, details_prompt_max, details_completion_max;
    Py_ssize_t n_choices;
    long long *indexes; /* each choice's index (growable: a response may have 1,000 choices) */
    Py_ssize_t indexes_cap;
    int index_seen;
    Py_ssize_t lengths_seen, array_length;
    long long last_offset;
    Py_ssize_t items_counted;
    int details; /* R_DETAILS_PROMPT or R_DETAILS_COMPLETION inside one, else R_NONE */
    /* judging: the failures found so far, and the path to the current value */
    PyObject *failures;
    Step path[MAX_DEPTH + 1];
    /* walking Python values: how many were visited, and whether that passed WALK_BUDGET */
    Py_ssize_t walked;
    int over_budget;
    /* A logprobs token was read (R_TOKEN). */
    int tokens_seen;
    /* The truth checks run, on `truth` (reading JSON text and walking Python values; off only
       where a scan does not set it). */
    int text_mode;
    Truth truth;
    Chat chat;
    /* `account` only: where the envelope's screen fails (an empty id, an implausible created, usage
     * arithmetic), the part is noted and the scan goes on, so the schema is still judged whole. */
    int suspecting;
    unsigned suspects;
    /* where the envelope's members' values start and end (byte offsets; -1: not read), id,
     * created, usage: the rules of a part that failed read only its member, from this span */
    Py_ssize_t spans[6];
    /* how usage's screen failed (USAGE_SUM_OFF, USAGE_OTHER), and where total_tokens' value starts */
    unsigned usage_fails;
    Py_ssize_t total_at;
} Scan;

/* How usage's screen failed: its arithmetic alone (a sum's rule fills in its message from the counts
 * read, `Sum` in the rules' registry), or anything else (a count missing, a breakdown over its total,
 * a negative breakdown) that other rules of the part may report. */
#define USAGE_SUM_OFF 1u
#define USAGE_OTHER 2u

/* What a scan read of usage where its sum alone failed: `only` 1, the counts, where total's value starts. */
typedef struct {
    int only;
    long long prompt, completion, total;
    Py_ssize_t total_at;
} SumRead;

/* The envelope's screen parts (the rule parts `id`, `created`, `usage` of the screen modules). */
#define SUSPECT_ID 1u
#define SUSPECT_CREATED 2u
#define SUSPECT_USAGE 4u
#define SUSPECT_ZERO_USAGE 8u

/* A screen check of the envelope failed: noted, and the scan goes on (1), when accounting; else not sure (0). */
static int suspect(Scan *s, unsigned part) {
    if (!s->suspecting) return 0;
    s->suspects |= part;
    return 1;
}

/* What a number token looked like. */
typedef struct {
    int integer;         /* no fraction, no exponent, at most MAX_INT_DIGITS digits */
    long long value;     /* when integer */
    int negative;
    int zero;            /* every mantissa digit is 0 */
    double real;         /* the value as Python reads it: only for a logprob the truth checks compare */
} Number;



static inline void skip_space(Scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')) s->p++;
}

/* Make room for `need` items of `size` bytes in a growable array (doubling); 0 when memory runs out. */
static int grow(void **items, Py_ssize_t *cap, Py_ssize_t need, size_t size) {
    if (need <= *cap) return 1;
    Py_ssize_t grown = *cap ? *cap : 16;
    while (grown < need) grown *= 2;
    void *moved = PyMem_Realloc(*items, (size_t)grown * size);
    if (moved == NULL) return 0;
    *items = moved;
    *cap = grown;
    return 1;
}

static int bytes_put(char **buffer, size_t *len, size_t *cap, const char *bytes, size_t n) {
    Py_ssize_t capacity = (Py_ssize_t)*cap;
    if (!grow((void **)buffer, &capacity, (Py_ssize_t)(*len + n + 1), 1)) return 0;
    *cap = (size_t)capacity;
    if (n) memcpy(*buffer + *len, bytes, n);
    *len += n;
    return 1;
}

static void truth_free(Truth *t) {
    PyMem_Free(t->text);
    PyMem_Free(t->joined);
    PyMem_Free(t->starts);
    PyMem_Free(t->offsets);
    PyMem_Free(t->logprobs);
    PyMem_Free(t->chosen);
}

/* A new choice: nothing read yet (the buffers are kept for the next). */
static void truth_reset(Truth *t) {
    t->text_len = t->joined_len = 0;
    t->n_tokens = t->n_offsets = t->n_logprobs = t->n_chosen = 0;
    t->text_seen = t->key_is_chosen = t->finish_stop = t->skip = t->not_sure = 0;
    t->offsets_streamed = t->chosen_streamed = -1;
    t->steps = 7;
    t->chosen_differs = 0;
}

static int truth_token(Truth *t, const char *text, Py_ssize_t length) {
    if (length >= 6 && memcmp(text, "bytes:", 6) == 0) t->skip = 1; /* OpenAI's part of a character */
    if (t->joined_len > UINT32_MAX - (size_t)length) return 0; /* 4 GB of tokens: not sure */
    if (!grow((void **)&t->starts, &t->tokens_cap, t->n_tokens + 1, sizeof(uint32_t))) return 0;
    t->starts[t->n_tokens++] = (uint32_t)t->joined_len;
    return bytes_put(&t->joined, &t->joined_len, &t->joined_cap, text, (size_t)length);
}

/* Where token `i`'s bytes end in `joined`. */
static inline size_t token_end(const Truth *t, Py_ssize_t i) {
    return i + 1 < t->n_tokens ? t->starts[i + 1] : t->joined_len;
}

/* Token `i`'s length counted one way: 0 code points, 1 UTF-8 bytes, 2 UTF-16 units. */
static long long token_length(const Truth *t, Py_ssize_t i, int way) {
    size_t start = t->starts[i], end = token_end(t, i);
    if (way == 1) return (long long)(end - start);
    long long points = 0, astral = 0;
    for (size_t k = start; k < end; k++) {
        unsigned char byte = (unsigned char)t->joined[k];
        if ((byte & 0xC0) != 0x80) points++;
        if (byte >= 0xF0) astral++; /* beyond the BMP: a surrogate pair */
    }
    return way == 0 ? points : points + astral;
}

static int truth_double(double **items, Py_ssize_t *n, Py_ssize_t *cap, double value) {
    if (!grow((void **)items, cap, *n + 1, sizeof(double))) return 0;
    (*items)[(*n)++] = value;
    return 1;
}

/* The ways (bit 0 code points, 1 UTF-8 bytes, 2 UTF-16 units) token `i`'s length equals `step`. */
static unsigned token_steps(const Truth *t, Py_ssize_t i, long long step) {
    size_t start = t->starts[i], end = token_end(t, i);
    long long points = 0, astral = 0;
    for (size_t k = start; k < end; k++) {
        unsigned char byte = (unsigned char)t->joined[k];
        if ((byte & 0xC0) != 0x80) points++;
        if (byte >= 0xF0) astral++;
    }
    return (step == points ? 1u : 0u) | (step == (long long)(end - start) ? 2u : 0u) | (step == points + astral ? 4u : 0u);
}

/* One offset: compared with its token as it comes where the tokens came first, else kept. 0: out of memory. */
static int truth_offset(Truth *t, long long v) {
    if (t->offsets_streamed < 0) t->offsets_streamed = t->n_tokens > 0;
    if (!t->offsets_streamed) {
        if (!grow((void **)&t->offsets, &t->offsets_cap, t->n_offsets + 1, sizeof(long long))) return 0;
        t->offsets[t->n_offsets++] = v;
        return 1;
    }
    Py_ssize_t i = t->n_offsets++;
    if (i > 0 && i - 1 < t->n_tokens && t->steps) t->steps &= token_steps(t, i - 1, v - t->last_offset);
    t->last_offset = v;
    return 1;
}

/* One top_logprobs item begins (a NaN chosen value until the chosen token's key comes). 0: out of memory. */
static int truth_top_item(Truth *t) {
    if (t->n_chosen >= t->n_tokens) t->not_sure = 1; /* alternatives before their tokens */
    if (t->chosen_streamed < 0) t->chosen_streamed = t->n_logprobs > 0;
    t->current_chosen = NAN;
    if (t->chosen_streamed) {
        t->n_chosen++;
        return 1;
    }
    return truth_double(&t->chosen, &t->n_chosen, &t->chosen_cap, NAN);
}

/* A top_logprobs object item ends: its chosen value against token_logprobs, where that came first. */
static void truth_top_item_end(Truth *t) {
    Py_ssize_t i = t->n_chosen - 1;
    if (t->chosen_streamed <= 0 || i < 0 || i >= t->n_tokens || i >= t->n_logprobs) return;
    double chosen = t->current_chosen, value = t->logprobs[i];
    if (!isnan(chosen) && !isnan(value) && fabs(chosen - value) > 1e-3 + 1e-4 * fabs(value)) t->chosen_differs = 1;
}

/* Do the offsets step by the tokens' lengths, counted one way (0 code points, 1 UTF-8 bytes, 2 UTF-16 units)? */
static int offsets_step(const Truth *t, int way) {
    for (Py_ssize_t i = 1; i < t->n_offsets; i++) {
        if (t->offsets[i] - t->offsets[i - 1] != token_length(t, i - 1, way)) return 0;
    }
    return 1;
}

/* A position's alternatives that are no object, or a value that is none: the rules pass over it,
 * and the positions after it still line up. 0 when memory runs out. */
static int truth_hole(Scan *s, int role) {
    Truth *t = &s->truth;
    if (!s->text_mode) return 1;
    if (role == R_TOKEN) t->skip = 1; /* a token that is not a string: the rules pass over the choice */
    if (role == R_TOKEN_LOGPROB) return truth_double(&t->logprobs, &t->n_logprobs, &t->logprobs_cap, NAN);
    if (role == R_TOP_ITEM) return truth_top_item(t);
    return 1;
}

static int truth_null(Scan *s, int role) {
    return truth_hole(s, role);
}

/* Whether the member of a top_logprobs item being read is the chosen token's. */
static void chosen_key(Scan *s, const char *key, Py_ssize_t length) {
    Truth *t = &s->truth;
    if (!s->text_mode) return;
    Py_ssize_t position = t->n_chosen - 1;
    if (position < 0 || position >= t->n_tokens) {
        t->key_is_chosen = 0;
        return;
    }
    size_t start = t->starts[position], bytes = token_end(t, position) - start;
    t->key_is_chosen = (size_t)length == bytes && memcmp(key, t->joined + start, bytes) == 0;
}

static const double POWERS_OF_TEN[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A JSON number's value as Python reads it (correctly rounded), or 0 where it is not finite.
 * A logprob such as -0.4790312 has at most 15 digits and a small exponent: the digits as an
 * integer (exact below 2**53) over a power of ten (exact up to 1e22) is one correctly rounded
 * operation. Anything else goes through Python's own reader. */
static int read_double(const unsigned char *begin, const unsigned char *end, double *out) {
    const unsigned char *p = begin;
    int negative = p < end && *p == '-';
    if (negative) p++;
    uint64_t digits = 0;
    int count = 0, scale = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++, count++) digits = digits * 10 + (uint64_t)(*p - '0');
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, count++, scale--) digits = digits * 10 + (uint64_t)(*p - '0');
    }
    if (p == end && count <= 15 && scale >= -22) {
        double value = (double)digits / POWERS_OF_TEN[-scale];
        *out = negative ? -value : value;
        return 1;
    }
    char literal[400];
    Py_ssize_t size = (Py_ssize_t)(end - begin);
    if (size >= (Py_ssize_t)sizeof literal) return 0;
    memcpy(literal, begin, (size_t)size);
    literal[size] = '\0';
    *out = PyOS_string_to_double(literal, NULL, NULL);
    if (*out == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return isfinite(*out);
}

/* The truth rules' verdict on a choice, as truth.py's `choice_is_true`: 1 silent, 0 not sure. */
static int truth_holds(const Scan *s) {
    const Truth *t = &s->truth;
    if (t->skip || t->n_tokens == 0) return 1;
    if (t->not_sure) return 0;
    if (!s->sc->chunk) { /* logprobs-tokens-text: the whole response only */
        if (!t->text_seen) return 0;
        int same = t->joined_len == t->text_len && memcmp(t->joined, t->text, t->text_len) == 0;
        int stop_tokens = t->finish_stop && t->joined_len > t->text_len && memcmp(t->joined, t->text, t->text_len) == 0;
        if (!same && !stop_tokens) return 0;
    }
    if (t->n_offsets == t->n_tokens) {
        int stepped = t->offsets_streamed > 0 ? t->steps != 0
                                              : offsets_step(t, 0) || offsets_step(t, 1) || offsets_step(t, 2);
        if (!stepped) return 0;
    }
    if (t->chosen_streamed > 0) return !t->chosen_differs;
    Py_ssize_t compared = t->n_tokens;
    if (t->n_logprobs < compared) compared = t->n_logprobs;
    if (t->n_chosen < compared) compared = t->n_chosen;
    for (Py_ssize_t i = 0; i < compared; i++) {
        double chosen = t->chosen[i], value = t->logprobs[i];
        if (!isnan(chosen) && !isnan(value) && fabs(chosen - value) > 1e-3 + 1e-4 * fabs(value)) return 0;
    }
    return 1;
}

static int arena_put(Scan *s, const char *bytes, size_t n) {
    if (n == 0) return 1; /* memcpy to a NULL arena is undefined, even of nothing */
    if (s->arena_len + n > s->arena_cap) {
        size_t cap = s->arena_cap ? s->arena_cap : 256;
        while (cap < s->arena_len + n) cap *= 2;
        char *grown = PyMem_Realloc(s->arena, cap);
        if (grown == NULL) return 0;
        s->arena = grown;
        s->arena_cap = cap;
    }
    memcpy(s->arena + s->arena_len, bytes, n);
    s->arena_len += n;
    return 1;
}

static int hex4(const unsigned char *p, unsigned int *out) {
    unsigned int v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned int)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned int)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned int)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* Length of the well-formed UTF-8 sequence at p (Unicode's table 3-7), or 0. */
static Py_ssize_t utf8_length(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    Py_ssize_t n;
    unsigned char low = 0x80, high = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) low = 0xA0;
        if (c == 0xED) high = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) low = 0x90;
        if (c == 0xF4) high = 0x8F;
    } else return 0;
    if (end - p < n) return 0;
    if (p[1] < low || p[1] > high) return 0;
    for (Py_ssize_t i = 2; i < n; i++) if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

static void put_utf8(Scan *s, unsigned int code, int *ok) {
    char out[4];
    size_t n;
    if (code < 0x80) { out[0] = (char)code; n = 1; }
    else if (code < 0x800) { out[0] = (char)(0xC0 | (code >> 6)); out[1] = (char)(0x80 | (code & 0x3F)); n = 2; }
    else if (code < 0x10000) {
        out[0] = (char)(0xE0 | (code >> 12)); out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
        out[2] = (char)(0x80 | (code & 0x3F)); n = 3;
    } else {
        out[0] = (char)(0xF0 | (code >> 18)); out[1] = (char)(0x80 | ((code >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((code >> 6) & 0x3F)); out[3] = (char)(0x80 | (code & 0x3F)); n = 4;
    }
    if (!arena_put(s, out, n)) *ok = 0;
}

/* --- chat: what chat.py's rules need of a choice ------------------------------------------ */

static void chat_free(Chat *c) {
    for (int i = 0; i < 2; i++) {
        PyMem_Free(c->at[i].token);
        PyMem_Free(c->at[i].bytes);
    }
}

static void token_bytes_reset(TokenBytes *tb) {
    tb->token_len = tb->bytes_len = 0;
    tb->token_string = tb->token_split = tb->bytes_list = tb->bytes_odd = 0;
}

/* `chat-logprob-bytes` on one item: 1 silent, 0 not sure. Bytes that are no whole UTF-8 text
 * (part of a character, llama.cpp's token '' with bytes [194]) are what `bytes` is for. */
static int token_bytes_agree(const TokenBytes *tb) {
    if (!tb->token_string || tb->token_split || !tb->bytes_list || tb->bytes_odd) return 1;
    if (tb->bytes_len == tb->token_len && (tb->token_len == 0 || memcmp(tb->bytes, tb->token, tb->token_len) == 0))
        return 1;
    if (tb->bytes_len == 0) return 0; /* no bytes for a token that has some (and no NULL + 0 below) */
    const unsigned char *p = (const unsigned char *)tb->bytes, *end = p + tb->bytes_len;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        Py_ssize_t n = utf8_length(p, end);
        if (n == 0) return 1;
        p += n;
    }
    return 0;
}

/* Does UTF-8 text hold U+FFFD (EF BF BD), the stand-in for a character split between tokens? */
static int holds_replacement(const char *text, Py_ssize_t length) {
    for (Py_ssize_t i = 0; i + 2 < length; i++) {
        if ((unsigned char)text[i] == 0xEF && (unsigned char)text[i + 1] == 0xBF && (unsigned char)text[i + 2] == 0xBD)
            return 1;
    }
    return 0;
}

/* A chat choice's message, as `chat-finish-tool-calls` and `chat-message-empty` read it: 1 silent, 0 not sure. */
static int chat_holds(const Scan *s) {
    const Chat *c = &s->chat;
    if (s->sc->chunk || !c->message_seen) return 1; /* whole-response rules, about a message object */
    switch (c->finish) {
    case FINISH_STOP:
        return c->said;
    case FINISH_TOOL_CALLS:
        return c->tool_calls;
    case FINISH_FUNCTION_CALL:
        return c->function_call;
    default:
        return 1;
    }
}

/* A member of a message that says something when it is not null (content, refusal, audio,
 * function_call); `first` is the first byte of its JSON text ('n' null, '{' an object). */
static void chat_said(Scan *s, int role, unsigned char first) {
    if ((role != R_SAYS && role != R_FUNCTION_CALL) || first == 'n') return;
    s->chat.said = 1;
    if (role == R_FUNCTION_CALL && first == '{') s->chat.function_call = 1;
}

/* A string, s->p on its opening quote. Its text (decoded) is [*text, *text + *length): in the
 * input when it holds no escape, else appended to the arena when `decode` (*in_arena set). */
static int string(Scan *s, int decode, const char **text, Py_ssize_t *length, int *in_arena) {
    const unsigned char *p = s->p + 1, *end = s->end, *run = p;
    size_t arena_start = s->arena_len;
    int escaped = 0, ok = 1;
    for (;;) {
        /* the common bytes, quickly */
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) p++;
        if (p >= end) return 0;
        unsigned char c = *p;
        if (c == '"') break;
        if (c < 0x20) return 0;
        if (c >= 0x80) {
            Py_ssize_t n = utf8_length(p, end);
            if (n == 0) return 0;
            p += n;
            continue;
        }
        /* an escape */
        if (decode) {
            if (!escaped) escaped = 1;
            if (!arena_put(s, (const char *)run, (size_t)(p - run))) return 0;
        }
        if (end - p < 2) return 0;
        unsigned char e = p[1];
        unsigned int code;
        switch (e) {
        case '"': case '\\': case '/': code = e; p += 2; break;
        case 'b': code = '\b'; p += 2; break;
        case 'f': code = '\f'; p += 2; break;
        case 'n': code = '\n'; p += 2; break;
        case 'r': code = '\r'; p += 2; break;
        case 't': code = '\t'; p += 2; break;
        case 'u':
            if (end - p < 6 || !hex4(p + 2, &code)) return 0;
            p += 6;
            if (code >= 0xDC00 && code <= 0xDFFF) return 0; /* a lone low surrogate */
            if (code >= 0xD800 && code <= 0xDBFF) {
                unsigned int low;
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &low)) return 0;
                if (low < 0xDC00 || low > 0xDFFF) return 0;
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                p += 6;
            }
            break;
        default:
            return 0;
        }
        if (decode) put_utf8(s, code, &ok);
        if (!ok) return 0;
        run = p;
    }
    if (decode && escaped) {
        if (!arena_put(s, (const char *)run, (size_t)(p - run))) return 0;
        *in_arena = 1;
        *text = (const char *)(uintptr_t)arena_start; /* an offset: the arena may move */
        *length = (Py_ssize_t)(s->arena_len - arena_start);
    } else {
        *in_arena = 0;
        *text = (const char *)(s->p + 1);
        *length = (Py_ssize_t)(p - (s->p + 1));
    }
    s->p = p + 1;
    return 1;
}

static inline const char *resolve(const Scan *s, const char *text, int in_arena) {
    return in_arena ? s->arena + (uintptr_t)text : text;
}

/* At the edge of the doubles (1.7e308 is finite, 1.8e308 is not), Python's own reader decides. */
static int finite_double(const unsigned char *first, const unsigned char *last, long magnitude) {
    char token[400];
    if (magnitude > MAX_MAGNITUDE + 1 || last - first >= (Py_ssize_t)sizeof token) return 0;
    memcpy(token, first, (size_t)(last - first));
    token[last - first] = '\0';
    double value = PyOS_string_to_double(token, NULL, NULL);
    if (value == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return isfinite(value);
}

static int number(Scan *s, Number *out) {
    const unsigned char *p = s->p, *end = s->end;
    out->negative = 0;
    out->zero = 1;
    out->integer = 1;
    out->value = 0;
    if (p < end && *p == '-') { out->negative = 1; p++; }
    if (p >= end || *p < '0' || *p > '9') return 0;
    int digits = 0, integer_digits;
    if (*p == '0') { p++; digits = 1; }
    else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (++digits <= MAX_INT_DIGITS) out->value = out->value * 10 + (*p - '0');
            if (*p != '0') out->zero = 0;
            p++;
        }
    }
    integer_digits = digits;
    if (digits > MAX_INT_DIGITS) out->integer = 0;
    if (p < end && *p == '.') {
        out->integer = 0;
        p++;
        if (p >= end || *p < '0' || *p > '9') return 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (*p != '0') out->zero = 0;
            digits++;
            p++;
        }
    }
    if (digits > MAX_DIGITS) return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        out->integer = 0;
        p++;
        int negative_exponent = 0;
        if (p < end && (*p == '+' || *p == '-')) negative_exponent = *p++ == '-';
        if (p >= end || *p < '0' || *p > '9') return 0;
        long exponent = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (exponent <= 1000000) exponent = exponent * 10 + (*p - '0');
            p++;
        }
        /* Python reads 1e400 as inf, which the strict parser refuses: let the exact path say.
         * Underflow (1e-400 is 0.0) only blurs the sign, which `within` reads conservatively. */
        if (!negative_exponent && integer_digits + exponent > MAX_MAGNITUDE && !finite_double(s->p, p, integer_digits + exponent))
            return 0;
    }
    if (out->integer && out->negative) out->value = -out->value;
    s->p = p;
    return 1;
}

/* Is the number within the node's bounds? Exact for integers; for others only against 0. */
static int within(const Node *n, const Number *num) {
    if (!n->has_minimum && !n->has_maximum) return 1;
    if (num->integer) {
        if (n->has_minimum && num->value < n->minimum) return 0;
        if (n->has_maximum && num->value > n->maximum) return 0;
        return 1;
    }
    /* sign: -1, 0 or 1 */
    int sign = num->zero ? 0 : (num->negative ? -1 : 1);
    if (n->has_minimum && (n->minimum != 0 || sign < 0)) return 0;
    if (n->has_maximum && (n->maximum != 0 || sign > 0)) return 0;
    return 1;
}

static int value(Scan *s, int node);
static int judged_value(Scan *s, const Node *n, int role, const unsigned char *begin);

static int record_missing(Scan *s, const Node *n, int prop, const unsigned char *begin);

/* Is this (decoded) text one JSON value, as json.loads reads it (`chat-tool-arguments-json`)?
 * The scanner's own grammar is stricter (no NaN, no duplicate key, 64 levels, 18-digit
 * integers), so a "no" here is only "not sure". */
static int is_json_text(const Scanner *sc, const char *text, Py_ssize_t length) {
    Scan sub;
    memset(&sub, 0, sizeof sub);
    sub.p = sub.start = (const unsigned char *)text;
    sub.end = sub.p + length;
    sub.sc = sc;
    sub.details = R_NONE;
    int ok = value(&sub, NO_NODE);
    if (ok) {
        skip_space(&sub);
        ok = sub.p == sub.end;
    }
    PyMem_Free(sub.arena);
    PyMem_Free(sub.indexes);
    truth_free(&sub.truth);
    chat_free(&sub.chat);
    return ok;
}

/* Whether the discriminator's value, the JSON text [begin, end), is the condition's string:
 * 1 yes, 0 no, -1 not sure (an escape in it). */
static int condition_met(const Condition *c, const unsigned char *begin, const unsigned char *end) {
    if (*begin != '"') return 0;
    const unsigned char *inside = begin + 1;
    Py_ssize_t length = (Py_ssize_t)(end - begin) - 2;
    if (memchr(inside, '\\', (size_t)length)) return -1;
    return length == c->length && memcmp(inside, c->value, (size_t)length) == 0;
}

/* The members a met condition requires are all there? */
static int conditions_hold(const Scanner *sc, const Node *n, uint64_t met, uint64_t seen) {
    for (int i = 0; i < n->n_conditions; i++) {
        uint64_t then = sc->conditions[n->condition_first + i].then;
        if ((met & ((uint64_t)1 << i)) && (seen & then) != then) return 0;
    }
    return 1;
}

/* One key a schema does not name: where it is (the input, or an offset into the arena), and its hash. */
typedef struct {
    const char *key;
    Py_ssize_t length;
    int in_arena;
    uint64_t hash;
} OtherKey;

/* The keys of one object a schema does not name, for the duplicate check: compared one by one
 * while there are few, then in a hash table (open addressing, at most half full). */
typedef struct {
    OtherKey few[MAX_OTHER_KEYS];
    OtherKey *keys; /* every key, once there are more than MAX_OTHER_KEYS */
    Py_ssize_t n, cap;
    Py_ssize_t *slots; /* a key's position + 1; 0: empty */
    Py_ssize_t n_slots;
} OtherKeys;

static uint64_t key_hash(const char *text, Py_ssize_t length) {
    uint64_t hash = 14695981039346656037ULL; /* FNV-1a */
    for (Py_ssize_t i = 0; i < length; i++) hash = (hash ^ (unsigned char)text[i]) * 1099511628211ULL;
    return hash;
}

static void others_free(OtherKeys *o) {
    PyMem_Free(o->keys);
    PyMem_Free(o->slots);
}

/* Put key `at` into the table (its slot is free or the table is being rebuilt). */
static void others_slot(OtherKeys *o, Py_ssize_t at) {
    Py_ssize_t mask = o->n_slots - 1, j = (Py_ssize_t)(o->keys[at].hash & (uint64_t)mask);
    while (o->slots[j]) j = (j + 1) & mask;
    o->slots[j] = at + 1;
}

static int others_rehash(OtherKeys *o, Py_ssize_t n_slots) {
    Py_ssize_t *slots = PyMem_Calloc((size_t)n_slots, sizeof(Py_ssize_t));
    if (slots == NULL) return 0;
    PyMem_Free(o->slots);
    o->slots = slots;
    o->n_slots = n_slots;
    for (Py_ssize_t i = 0; i < o->n; i++) others_slot(o, i);
    return 1;
}

/* Add an unnamed key: 1, or 0 where it is there already (a duplicate) or memory ran out: not sure. */
static int others_add(Scan *s, OtherKeys *o, const char *key, Py_ssize_t length, int in_arena) {
    const char *text = resolve(s, key, in_arena);
    if (o->keys == NULL && o->n < MAX_OTHER_KEYS) {
        for (Py_ssize_t i = 0; i < o->n; i++) {
            const OtherKey *k = &o->few[i];
            if (k->length == length && memcmp(resolve(s, k->key, k->in_arena), text, (size_t)length) == 0) return 0;
        }
        o->few[o->n++] = (OtherKey){key, length, in_arena, 0};
        return 1;
    }
    if (o->keys == NULL) { /* from the few to the table */
        if (!grow((void **)&o->keys, &o->cap, 4 * MAX_OTHER_KEYS, sizeof(OtherKey))) return 0;
        for (Py_ssize_t i = 0; i < o->n; i++) {
            o->keys[i] = o->few[i];
            o->keys[i].hash = key_hash(resolve(s, o->few[i].key, o->few[i].in_arena), o->few[i].length);
        }
        if (!others_rehash(o, 8 * MAX_OTHER_KEYS)) return 0;
    }
    uint64_t hash = key_hash(text, length);
    Py_ssize_t mask = o->n_slots - 1;
    for (Py_ssize_t j = (Py_ssize_t)(hash & (uint64_t)mask); o->slots[j]; j = (j + 1) & mask) {
        const OtherKey *k = &o->keys[o->slots[j] - 1];
        if (k->hash == hash && k->length == length && memcmp(resolve(s, k->key, k->in_arena), text, (size_t)length) == 0)
            return 0;
    }
    if (!grow((void **)&o->keys, &o->cap, o->n + 1, sizeof(OtherKey))) return 0;
    o->keys[o->n] = (OtherKey){key, length, in_arena, hash};
    o->n++;
    if (2 * o->n > o->n_slots) return others_rehash(o, 2 * o->n_slots);
    others_slot(o, o->n - 1);
    return 1;
}

static int object_members(Scan *s, const Node *n, const unsigned char *begin, OtherKeys *others);

static int object(Scan *s, const Node *n, const unsigned char *begin) {
    OtherKeys others; /* keys the schema does not name, for the duplicate check */
    others.n = others.cap = others.n_slots = 0;
    others.keys = NULL;
    others.slots = NULL;
    int ok = object_members(s, n, begin, &others);
    others_free(&others);
    return ok;
}

static int object_members(Scan *s, const Node *n, const unsigned char *begin, OtherKeys *others) {
    const Scanner *sc = s->sc;
    uint64_t seen = 0;
    int role = n ? n->role : R_NONE;
    uint64_t met = 0; /* the conditions whose discriminator has their value */
    s->p++; /* { */
    skip_space(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
    } else {
        for (;;) {
            if (s->p >= s->end || *s->p != '"') return 0;
            const char *key;
            Py_ssize_t length;
            int in_arena;
            size_t mark = s->arena_len;
            if (!string(s, 1, &key, &length, &in_arena)) return 0;
            skip_space(s);
            if (s->p >= s->end || *s->p != ':') return 0;
            s->p++;
            int child = NO_NODE, matched = -1;
            if (n) {
                const char *text = resolve(s, key, in_arena);
                for (int i = 0; i < n->n_props; i++) {
                    const Prop *prop = &sc->props[n->prop_first + i];
                    if (prop->length == length && memcmp(prop->name, text, (size_t)length) == 0) {
                        matched = i;
                        break;
                    }
                }
            }
            if (matched >= 0) {
                if (seen & ((uint64_t)1 << matched)) return 0; /* a duplicate key */
                seen |= (uint64_t)1 << matched;
                child = sc->props[n->prop_first + matched].node;
                if (in_arena && !s->failures) s->arena_len = mark; /* a judge may need it for a path */
            } else {
                if (n && n->additional == CLOSED) return 0;
                if (role == R_USAGE) return 0; /* a vendor member of usage: the rules look at it */
                child = n ? n->additional : NO_NODE;
                if (!others_add(s, others, key, length, in_arena)) return 0; /* a duplicate key */
            }
            if (s->failures) {
                Step *step = &s->path[s->depth];
                step->key = key;
                step->length = length;
                step->in_arena = in_arena;
                step->is_index = 0;
            }
            if (role == R_TOP_ITEM) chosen_key(s, resolve(s, key, in_arena), length);
            skip_space(s);
            const unsigned char *member = s->p;
            if (!value(s, child)) return 0;
            for (int i = 0; matched >= 0 && i < n->n_conditions; i++) {
                const Condition *c = &sc->conditions[n->condition_first + i];
                if (c->prop != matched) continue;
                int is = condition_met(c, member, s->p);
                if (is < 0) return 0;
                if (is) met |= (uint64_t)1 << i;
            }
            skip_space(s);
            if (s->p >= s->end) return 0;
            if (*s->p == ',') {
                s->p++;
                skip_space(s);
                continue;
            }
            if (*s->p == '}') {
                s->p++;
                break;
            }
            return 0;
        }
    }
    if (n && (seen & n->required) != n->required) {
        for (int i = 0; i < n->n_required; i++) {
            int prop = n->required_order[i];
            if (!(seen & ((uint64_t)1 << prop)) && !record_missing(s, n, prop, begin)) return 0;
        }
    }
    return !n || conditions_hold(sc, n, met, seen);
}

static int array(Scan *s, const Node *n) {
    int items = n ? n->items : NO_NODE;
    Py_ssize_t count = 0;
    s->p++; /* [ */
    skip_space(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        s->items_counted = 0;
        return 1;
    }
    for (;;) {
        if (s->failures) {
            s->path[s->depth].is_index = 1;
            s->path[s->depth].length = count;
        }
        if (!value(s, items)) return 0;
        count++;
        skip_space(s);
        if (s->p >= s->end) return 0;
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p == ']') {
            s->p++;
            break;
        }
        return 0;
    }
    s->items_counted = count;
    return 1;
}

static int in_enum(const Scanner *sc, const Node *n, const char *text, Py_ssize_t length) {
    for (Py_ssize_t i = 0; i < n->n_enum; i++) {
        Py_ssize_t k = n->enum_first + i;
        if (sc->enum_lengths[k] == length && memcmp(sc->enum_values[k], text, (size_t)length) == 0) return 1;
    }
    return 0;
}

/* choice-index-unique and choice-index-sequence over more choices than a mask holds: a byte each. */
static int choices_many(const Scan *s) {
    Py_ssize_t n = s->n_choices;
    unsigned char *seen = PyMem_Calloc((size_t)n, 1);
    if (seen == NULL) return 0;
    int ok = 1;
    for (Py_ssize_t i = 0; i < n && ok; i++) {
        long long index = s->indexes[i];
        if (index == UNKNOWN_INDEX) continue; /* not compared by the rules; no sequence rule then */
        /* unique, and in a response 0..n-1; a chunk's index beyond the count: not sure */
        if (index < 0 || index >= n || seen[index]) ok = 0;
        else seen[index] = 1;
    }
    PyMem_Free(seen);
    return ok;
}

/* The screen's checks when a role's value is complete. */
static int close_role(Scan *s, int role) {
    const Scanner *sc = s->sc;
    switch (role) {
    case R_ROOT:
        return s->created_seen;
    case R_USAGE:
        if (!(s->prompt_seen && s->completion_seen && s->total_seen)) {
            s->usage_fails |= USAGE_OTHER;
            return suspect(s, SUSPECT_USAGE);
        }
        /* usage-zero, which reads the choices' text too: its own part */
        if (s->total == 0 && !suspect(s, SUSPECT_ZERO_USAGE)) return 0;
        /* both checked, so that a failed sum is known to be the only failure, or not */
        if (s->details_prompt_max > s->prompt || s->details_completion_max > s->completion)
            s->usage_fails |= USAGE_OTHER;
        if (s->total != s->prompt + s->completion) s->usage_fails |= USAGE_SUM_OFF;
        return s->usage_fails ? suspect(s, SUSPECT_USAGE) : 1;
    case R_CHOICES:
        if (s->n_choices == 1) return sc->chunk || s->indexes[0] == 0 || s->indexes[0] == UNKNOWN_INDEX;
        if (s->n_choices > MAX_CHOICES) return choices_many(s);
        if (s->n_choices > 1) {
            uint64_t bits = 0;
            int unknown = 0;
            for (Py_ssize_t i = 0; i < s->n_choices; i++) {
                long long index = s->indexes[i];
                if (index == UNKNOWN_INDEX) { /* not compared by choice-index-unique; no sequence rule then */
                    unknown = 1;
                    continue;
                }
                if (index < 0 || index >= MAX_CHOICES) return 0;
                if (bits & ((uint64_t)1 << index)) return 0;
                bits |= (uint64_t)1 << index;
            }
            /* and, in a response, 0..n-1: n bits set and no gap (bits + 1 wraps to 0 at 64) */
            if (!sc->chunk && !unknown && ((bits + 1) & bits)) return 0;
        }
        return 1;
    case R_CHOICE:
        if (!s->index_seen || !chat_holds(s)) return 0;
        return !s->text_mode || truth_holds(s);
    case R_LP_ITEM:
        return token_bytes_agree(&s->chat.at[0]);
    case R_LP_TOP:
        s->chat.level = 0;
        return token_bytes_agree(&s->chat.at[1]);
    case R_LOGPROBS:
        return s->lengths_seen > 0;
    default:
        return 1;
    }
}

/* The role bookkeeping both readers share: the text reader (`value`) and the object walker (`walk`). */

static int open_container(Scan *s, const Node *n, int role, int kind) {
    if (!((n ? n->types : T_ANY) & kind) || (n && n->n_enum) || COUNTED(role)) return 0;
    if (++s->depth > MAX_DEPTH) return 0;
    switch (role) {
    case R_USAGE:
        s->usage_seen = 1;
        s->prompt_seen = s->completion_seen = s->total_seen = 0;
        s->details_prompt_max = s->details_completion_max = 0;
        break;
    case R_CHOICE:
        if (!grow((void **)&s->indexes, &s->indexes_cap, s->n_choices + 1, sizeof(long long))) return 0;
        s->index_seen = 0;
        truth_reset(&s->truth);
        s->chat.message_seen = s->chat.said = s->chat.tool_calls = s->chat.function_call = 0;
        s->chat.finish = FINISH_OTHER;
        break;
    case R_MESSAGE:
        s->chat.message_seen = 1;
        break;
    case R_LP_ITEM:
    case R_LP_TOP:
        s->chat.level = role == R_LP_TOP;
        token_bytes_reset(&s->chat.at[s->chat.level]);
        break;
    case R_LP_BYTES:
        s->chat.at[s->chat.level].bytes_list = 1;
        s->chat.at[s->chat.level].bytes_len = 0;
        break;
    case R_TOP_ITEM: /* a position's alternatives: none is the chosen token's until its key comes */
        if (s->text_mode && !truth_top_item(&s->truth)) return 0;
        break;
    case R_LOGPROBS:
        s->lengths_seen = 0;
        break;
    case R_DETAILS_PROMPT:
    case R_DETAILS_COMPLETION:
        s->details = role;
        break;
    case R_CHOICES:
        s->n_choices = 0;
        break;
    case R_LOGPROB_ARRAY:
        s->last_offset = LLONG_MIN;
        break;
    default:
        break;
    }
    return 1;
}

static int close_container(Scan *s, int role) {
    s->depth--;
    if (role == R_TOOL_CALLS && s->items_counted > 0) s->chat.said = s->chat.tool_calls = 1;
    if (role == R_LOGPROB_ARRAY) {
        if (s->lengths_seen > 0 && s->items_counted != s->array_length) return 0;
        s->array_length = s->items_counted;
        s->lengths_seen++;
    }
    if (role == R_TOP_ITEM && s->text_mode) truth_top_item_end(&s->truth);
    if (!close_role(s, role)) return 0;
    if (role == R_CHOICE) s->n_choices++;
    return 1;
}

/* A string whose decoded text is known (`text` NULL: not decoded, only its length is). */
/* The value helpers answer 1 (fine), 0 (not sure) or FAIL_TYPE / FAIL_ENUM: exactly one schema
 * error, of that keyword, which jsonschema would report for this value (a value failing both
 * `type` and `enum` is "not sure"). */
static int string_value(Scan *s, const Node *n, int role, const char *text, Py_ssize_t length) {
    if (!((n ? n->types : T_ANY) & T_STRING)) return n && n->n_enum ? 0 : FAIL_TYPE;
    if (n && n->n_enum && (text == NULL || !in_enum(s->sc, n, text, length))) return text == NULL ? 0 : FAIL_ENUM;
    if (role == R_TOKEN) s->tokens_seen = 1;
    if (s->text_mode && text != NULL) {
        Truth *t = &s->truth;
        if (role == R_TOKEN && !truth_token(t, text, length)) return 0;
        if (role == R_TEXT) {
            t->text_len = 0;
            if (!bytes_put(&t->text, &t->text_len, &t->text_cap, text, (size_t)length)) return 0;
            t->text_seen = 1;
        }
        if (role == R_FINISH) t->finish_stop = length == 4 && memcmp(text, "stop", 4) == 0;
    }
    if (text != NULL && (role == R_FINISH || role >= R_MESSAGE)) { /* chat's roles come last */
        Chat *c = &s->chat;
        if (role == R_FINISH) {
            c->finish = length == 4 && memcmp(text, "stop", 4) == 0           ? FINISH_STOP
                        : length == 10 && memcmp(text, "tool_calls", 10) == 0   ? FINISH_TOOL_CALLS
                        : length == 13 && memcmp(text, "function_call", 13) == 0 ? FINISH_FUNCTION_CALL
                                                                                 : FINISH_OTHER;
        }
        if (role == R_LP_TOKEN) {
            TokenBytes *tb = &c->at[c->level];
            tb->token_len = 0;
            if (!bytes_put(&tb->token, &tb->token_len, &tb->token_cap, text, (size_t)length)) return 0;
            tb->token_string = 1;
            tb->token_split = holds_replacement(text, length);
        }
        if (role == R_ARGUMENTS && !s->sc->chunk && !is_json_text(s->sc, text, length)) return 0;
    }
    if (role == R_ID && length == 0 && !suspect(s, SUSPECT_ID)) return 0;
    return !COUNTED(role);
}

static int literal_value(const Node *n, int role, int kind) {
    if (!((n ? n->types : T_ANY) & kind)) return n && n->n_enum ? 0 : FAIL_TYPE;
    if (n && n->n_enum && !(kind == T_NULL && n->enum_null)) return FAIL_ENUM;
    return !COUNTED(role) && !(kind == T_NULL && role == R_LOGPROB_ARRAY);
}

static int number_value(Scan *s, const Node *n, int role, const Number *num) {
    const Scanner *sc = s->sc;
    int types = n ? n->types : T_ANY;
    if (n && n->n_enum) return 0;
    if (!(types & (T_INTEGER | T_NUMBER))) return FAIL_TYPE; /* no number of any kind belongs here */
    if (!num->integer && !(types & T_NUMBER)) return 0; /* 5.0 is an integer to JSON Schema: not sure */
    if (n && !within(n, num)) return 0;
    if (COUNTED(role) && !num->integer) return 0;
    long long v = num->value;
    switch (role) {
    case R_DETAIL_COUNT:
        if (v < 0) {
            s->usage_fails |= USAGE_OTHER;
            if (!suspect(s, SUSPECT_USAGE)) return 0;
        }
        if (s->details == R_DETAILS_PROMPT && v > s->details_prompt_max) s->details_prompt_max = v;
        if (s->details == R_DETAILS_COMPLETION && v > s->details_completion_max) s->details_completion_max = v;
        break;
    case R_OFFSET: /* text_offset never decreases */
        if (v < s->last_offset) return 0;
        s->last_offset = v;
        if (s->text_mode && !truth_offset(&s->truth, v)) return 0;
        break;
    case R_TOKEN_LOGPROB:
        if (s->text_mode && !truth_double(&s->truth.logprobs, &s->truth.n_logprobs, &s->truth.logprobs_cap, num->real))
            return 0;
        break;
    case R_TOP_VALUE:
        if (s->text_mode && s->truth.key_is_chosen && s->truth.n_chosen > 0) {
            if (s->truth.chosen_streamed > 0) s->truth.current_chosen = num->real;
            else s->truth.chosen[s->truth.n_chosen - 1] = num->real;
        }
        break;
    case R_LP_BYTE: {
        TokenBytes *tb = &s->chat.at[s->chat.level];
        if (v < 0 || v > 255) {
            tb->bytes_odd = 1; /* the rule passes over an item whose bytes are no byte values */
        } else {
            char byte = (char)v;
            if (!bytes_put(&tb->bytes, &tb->bytes_len, &tb->bytes_cap, &byte, 1)) return 0;
        }
        break;
    }
    case R_CREATED:
        if ((v < sc->earliest || v > s->latest) && !suspect(s, SUSPECT_CREATED)) return 0;
        s->created_seen = 1;
        break;
    case R_INDEX:
        s->indexes[s->n_choices] = v;
        s->index_seen = 1;
        break;
    case R_PROMPT:
        s->prompt = v;
        s->prompt_seen = 1;
        break;
    case R_COMPLETION:
        s->completion = v;
        s->completion_seen = 1;
        break;
    case R_TOTAL:
        s->total = v;
        s->total_seen = 1;
        break;
    default:
        break;
    }
    return 1;
}

static int record_failure(Scan *s, int node_index, int kind, const unsigned char *begin);

static int value(Scan *s, int node_index) {
    const Node *n = node_index == NO_NODE ? NULL : &s->sc->nodes[node_index];
    int role = n ? n->role : R_NONE;
    skip_space(s);
    if (s->p >= s->end) return 0;
    const unsigned char *begin = s->p;
    int verdict = judged_value(s, n, role, begin);
    if (verdict == 1 && role >= R_MESSAGE) chat_said(s, role, *begin);
    if (verdict == 1 && s->suspecting && (role == R_ID || role == R_CREATED || role == R_USAGE)) {
        int member = role == R_ID ? 0 : role == R_CREATED ? 2 : 4;
        s->spans[member] = begin - s->start;
        s->spans[member + 1] = s->p - s->start;
    }
    if (role == R_TOTAL) s->total_at = begin - s->start;
    return verdict <= 1 ? verdict : record_failure(s, node_index, verdict, begin);
}

static int judged_value(Scan *s, const Node *n, int role, const unsigned char *begin) {
    unsigned char c = *s->p;
    switch (c) {
    case '{':
        return open_container(s, n, role, T_OBJECT) && object(s, n, begin) && close_container(s, role);
    case '[':
        return open_container(s, n, role, T_ARRAY) && array(s, n) && close_container(s, role);
    case '"': {
        const char *text;
        Py_ssize_t length;
        int in_arena;
        size_t mark = s->arena_len;
        int decode = (n && n->n_enum) || (s->text_mode && (role == R_TEXT || role == R_TOKEN)) || role == R_LP_TOKEN ||
                     role == R_ARGUMENTS;
        if (!string(s, decode, &text, &length, &in_arena)) return 0;
        int ok = string_value(s, n, role, resolve(s, text, in_arena), length);
        s->arena_len = mark;
        return ok;
    }
    case 't':
    case 'f': {
        const char *word = c == 't' ? "true" : "false";
        size_t len = c == 't' ? 4 : 5;
        if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len) != 0) return 0;
        s->p += len;
        return literal_value(n, role, T_BOOLEAN);
    }
    case 'n':
        if (s->end - s->p < 4 || memcmp(s->p, "null", 4) != 0) return 0;
        s->p += 4;
        if (!truth_null(s, role)) return 0;
        return literal_value(n, role, T_NULL);
    default: {
        if (c != '-' && (c < '0' || c > '9')) return 0;
        Number num;
        if (!number(s, &num)) return 0;
        num.real = NAN;
        if (s->text_mode && (role == R_TOKEN_LOGPROB || (role == R_TOP_VALUE && s->truth.key_is_chosen)) &&
            !read_double(begin, s->p, &num.real))
            return 0;
        return number_value(s, n, role, &num);
    }
    }
}

/* --- judging: the schema errors of a document the rules are silent on ------------------- */

/* The scalar at `begin` as the strict parser reads it (the scanner has checked its grammar). */
static PyObject *scalar_at(Scan *s, const unsigned char *begin, const unsigned char *end) {
    switch (*begin) {
    case 'n':
        Py_RETURN_NONE;
    case 't':
        Py_RETURN_TRUE;
    case 'f':
        Py_RETURN_FALSE;
    case '"': {
        const unsigned char *saved = s->p;
        const char *text;
        Py_ssize_t length;
        int in_arena;
        s->p = begin;
        int ok = string(s, 1, &text, &length, &in_arena);
        s->p = saved;
        if (!ok) return NULL;
        return PyUnicode_DecodeUTF8(resolve(s, text, in_arena), length, "strict");
    }
    default: {
        char token[400];
        Py_ssize_t size = end - begin;
        if (size >= (Py_ssize_t)sizeof token) return NULL;
        memcpy(token, begin, (size_t)size);
        token[size] = '\0';
        if (memchr(token, '.', (size_t)size) || memchr(token, 'e', (size_t)size) || memchr(token, 'E', (size_t)size)) {
            double value = PyOS_string_to_double(token, NULL, NULL); /* as float(), as json does */
            if (value == -1.0 && PyErr_Occurred()) return NULL;
            return PyFloat_FromDouble(value);
        }
        return PyLong_FromString(token, NULL, 10);
    }
    }
}

/* Where a failure may be judged: no rule looks there, or the rules that do pass over a value that
 * is not an integer (created-plausible, the choice-index rules: `_int` is None) or not a string
 * (id-empty). Anywhere else the rules must run: not sure. */
static int judgeable(int role) {
    /* The truth roles too: a failure there leaves the truth checks nothing to vouch for (a wrong
       text or finish_reason is no "stop" and no text; with tokens and failures, `scan_document`
       is not sure), as the rules pass over a value of the wrong type. */
    return role == R_NONE || role == R_ID || role == R_CREATED || role == R_INDEX || role == R_TEXT ||
           role == R_FINISH || role == R_TOKEN || role == R_TOKEN_LOGPROB || role == R_TOP_ITEM || role == R_TOP_VALUE;
}

/* What the screen then knows of the role's value: absent, as far as the rules are concerned. */
static void judged_role(Scan *s, int role) {
    if (role == R_CREATED) s->created_seen = 1;
    if (role == R_INDEX) {
        s->indexes[s->n_choices] = UNKNOWN_INDEX;
        s->index_seen = 1;
    }
}

static PyObject *path_of(Scan *s, int depth) {
    PyObject *path = PyTuple_New(depth);
    if (path == NULL) return NULL;
    for (int d = 1; d <= depth; d++) {
        const Step *step = &s->path[d];
        PyObject *part = step->is_index ? PyLong_FromSsize_t(step->length)
                                        : PyUnicode_DecodeUTF8(resolve(s, step->key, step->in_arena), step->length,
                                                               "strict");
        if (part == NULL) {
            Py_DECREF(path);
            return NULL;
        }
        PyTuple_SET_ITEM(path, d - 1, part);
    }
    return path;
}

/* A tuple of `n` new references (stolen, released where it cannot be made): what Py_BuildValue
 * builds, without parsing a format on every line of a log. */
static PyObject *tuple_of(Py_ssize_t n, PyObject **items) {
    PyObject *made = PyTuple_New(n);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (made == NULL || items[i] == NULL) {
            for (Py_ssize_t j = i; j < n; j++) Py_XDECREF(items[j]);
            Py_XDECREF(made);
            return NULL;
        }
        PyTuple_SET_ITEM(made, i, items[i]);
    }
    return made;
}

static int keep_failure(Scan *s, int kind, int node_index, PyObject *path, PyObject *value, const unsigned char *at) {
    PyObject *items[5] = {PyLong_FromLong(kind), PyLong_FromLong(node_index), path, value,
                          PyLong_FromSsize_t(at - s->start)};
    PyObject *failure = tuple_of(5, items); /* (kind, node, path, value, offset) */
    if (failure == NULL) return 0;
    int appended = PyList_Append(s->failures, failure);
    Py_DECREF(failure);
    return appended == 0;
}

/* A required member missing from the object `n` that starts at `begin`. */
static int record_missing(Scan *s, const Node *n, int prop, const unsigned char *begin) {
    const Prop *missing = &s->sc->props[n->prop_first + prop];
    int role = s->sc->nodes[missing->node].role;
    /* a member the chat checks read as absent (no message, nothing said, no token or bytes) */
    int absent = role == R_MESSAGE || role == R_SAYS || role == R_FUNCTION_CALL || role == R_TOOL_CALLS ||
                 role == R_LP_TOKEN || role == R_LP_BYTES;
    if (s->failures == NULL || !(judgeable(role) || absent) || PyList_GET_SIZE(s->failures) >= MAX_FAILURES) return 0;
    PyObject *path = path_of(s, s->depth - 1), *name = NULL, *full = NULL;
    if (path == NULL) goto error;
    name = PyUnicode_DecodeUTF8(missing->name, missing->length, "strict");
    if (name == NULL) goto error;
    full = PyTuple_New(PyTuple_GET_SIZE(path) + 1);
    if (full == NULL) goto error;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(path); i++) {
        Py_INCREF(PyTuple_GET_ITEM(path, i));
        PyTuple_SET_ITEM(full, i, PyTuple_GET_ITEM(path, i));
    }
    PyTuple_SET_ITEM(full, PyTuple_GET_SIZE(path), name);
    name = NULL;
    Py_CLEAR(path);
    Py_INCREF(Py_None);
    if (!keep_failure(s, KEPT_REQUIRED, (int)(n - s->sc->nodes), full, Py_None, begin)) goto error;
    judged_role(s, role);
    return 1;
error:
    Py_XDECREF(path);
    Py_XDECREF(name);
    PyErr_Clear();
    return 0;
}

/* Keep a failure for `judge`: a scalar where it may be judged (`judgeable`), at most MAX_FAILURES. */
static int record_failure(Scan *s, int node_index, int kind, const unsigned char *begin) {
    if (s->failures == NULL || node_index == NO_NODE || !judgeable(s->sc->nodes[node_index].role)) return 0;
    if (PyList_GET_SIZE(s->failures) >= MAX_FAILURES) return 0;
    PyObject *path = path_of(s, s->depth);
    if (path == NULL) goto error;
    PyObject *value = scalar_at(s, begin, s->p);
    if (value == NULL) {
        Py_DECREF(path);
        goto error;
    }
    if (!keep_failure(s, kind == FAIL_TYPE ? KEPT_TYPE : KEPT_ENUM, node_index, path, value, begin)) goto error;
    judged_role(s, s->sc->nodes[node_index].role);
    /* a value of the wrong type where the truth checks look: a hole they pass over (a null was one already) */
    if (*begin != 'n' && !truth_hole(s, s->sc->nodes[node_index].role)) return 0;
    return 1;
error:
    PyErr_Clear(); /* then not sure: the exact path explains it */
    return 0;
}

/* --- the same checks over Python objects (what users pass to is_valid / iter_errors) ------- */

/* A str as UTF-8 without lone surrogates (which the reference reports), or NULL. */
static const char *text_of(PyObject *o, Py_ssize_t *length) {
    if (PyUnicode_IS_ASCII(o)) {
        *length = PyUnicode_GET_LENGTH(o);
        return (const char *)PyUnicode_DATA(o);
    }
    const char *text = PyUnicode_AsUTF8AndSize(o, length);
    if (text == NULL) PyErr_Clear();
    return text;
}

static int has_lone_surrogate(PyObject *o) {
    int kind = PyUnicode_KIND(o);
    if (kind == PyUnicode_1BYTE_KIND) return 0;
    const void *data = PyUnicode_DATA(o);
    Py_ssize_t length = PyUnicode_GET_LENGTH(o);
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 0xD800 && c <= 0xDFFF) return 1;
    }
    return 0;
}

static int walk(Scan *s, PyObject *o, int node_index);

static int walk_object(Scan *s, PyObject *o, const Node *n) {
    const Scanner *sc = s->sc;
    uint64_t seen = 0, met = 0;
    int role = n ? n->role : R_NONE;
    Py_ssize_t at = 0;
    PyObject *key, *item;
    while (PyDict_Next(o, &at, &key, &item)) {
        if (!PyUnicode_CheckExact(key) || has_lone_surrogate(key)) return 0;
        int child = NO_NODE, matched = -1;
        if (n && n->n_props) {
            Py_ssize_t length;
            const char *text = text_of(key, &length);
            if (text == NULL) return 0;
            for (int i = 0; i < n->n_props; i++) {
                const Prop *prop = &sc->props[n->prop_first + i];
                if (prop->length == length && memcmp(prop->name, text, (size_t)length) == 0) {
                    matched = i;
                    break;
                }
            }
        }
        if (matched >= 0) {
            seen |= (uint64_t)1 << matched; /* a dict holds each key once */
            child = sc->props[n->prop_first + matched].node;
        } else {
            if (n && n->additional == CLOSED) return 0;
            if (role == R_USAGE) return 0;
            child = n ? n->additional : NO_NODE;
        }
        if (role == R_TOP_ITEM) { /* the chosen token's own log-probability? */
            Py_ssize_t length;
            const char *text = text_of(key, &length);
            if (text == NULL) return 0;
            chosen_key(s, text, length);
        }
        if (!walk(s, item, child)) return 0;
        for (int i = 0; matched >= 0 && i < n->n_conditions; i++) {
            const Condition *c = &sc->conditions[n->condition_first + i];
            Py_ssize_t length;
            const char *text;
            if (c->prop != matched || !PyUnicode_CheckExact(item) || (text = text_of(item, &length)) == NULL) continue;
            if (length == c->length && memcmp(text, c->value, (size_t)length) == 0) met |= (uint64_t)1 << i;
        }
    }
    return !n || ((seen & n->required) == n->required && conditions_hold(sc, n, met, seen));
}

static int walk_typed(Scan *s, PyObject *o, const Node *n, int role);

static int walk(Scan *s, PyObject *o, int node_index) {
    if (++s->walked > WALK_BUDGET) {
        s->over_budget = 1;
        return 0;
    }
    if ((s->walked & SIGNAL_EVERY) == 0 && PyErr_CheckSignals() < 0) return 0; /* Ctrl-C: the exception is set */
    const Node *n = node_index == NO_NODE ? NULL : &s->sc->nodes[node_index];
    int role = n ? n->role : R_NONE;
    if (!walk_typed(s, o, n, role)) return 0;
    if (role >= R_MESSAGE) chat_said(s, role, o == Py_None ? 'n' : Py_TYPE(o) == &PyDict_Type ? '{' : '.');
    return 1;
}

static int walk_typed(Scan *s, PyObject *o, const Node *n, int role) {
    PyTypeObject *type = Py_TYPE(o);
    /* exact types only: a subclass, a tuple, an Enum is for the reference to judge */
    if (type == &PyDict_Type) {
        return open_container(s, n, role, T_OBJECT) && walk_object(s, o, n) && close_container(s, role);
    }
    if (type == &PyList_Type) {
        if (!open_container(s, n, role, T_ARRAY)) return 0;
        int items = n ? n->items : NO_NODE;
        Py_ssize_t count = PyList_GET_SIZE(o);
        for (Py_ssize_t i = 0; i < count; i++) {
            if (i >= PyList_GET_SIZE(o) || !walk(s, PyList_GET_ITEM(o, i), items)) return 0;
        }
        s->items_counted = count;
        return close_container(s, role);
    }
    if (type == &PyUnicode_Type) {
        if (has_lone_surrogate(o)) return 0;
        Py_ssize_t length = PyUnicode_GET_LENGTH(o);
        const char *text = NULL;
        int decode = (n && n->n_enum) || role == R_TEXT || role == R_TOKEN || role == R_LP_TOKEN || role == R_ARGUMENTS;
        if (decode && (text = text_of(o, &length)) == NULL) return 0;
        return string_value(s, n, role, text, length) == 1;
    }
    if (o == Py_None) return truth_null(s, role) && literal_value(n, role, T_NULL) == 1;
    if (type == &PyBool_Type) return literal_value(n, role, T_BOOLEAN) == 1;
    Number num = {0, 0, 0, 0, NAN};
    if (type == &PyLong_Type) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        /* beyond 18 digits, as in text: the reference also limits the digits it reads */
        if (overflow || v <= -1000000000000000000LL || v >= 1000000000000000000LL) return 0;
        num.integer = 1;
        num.value = v;
        num.negative = v < 0;
        num.zero = v == 0;
        num.real = (double)v;
        return number_value(s, n, role, &num) == 1;
    }
    if (type == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(o);
        if (!isfinite(d)) return 0;
        num.negative = d < 0;
        num.zero = d == 0;
        num.real = d;
        return number_value(s, n, role, &num) == 1;
    }
    return 0;
}

/* One pass over the JSON text data[:size]: 1 where it is clean; `failures` a list to judge into, or NULL. */
static int scan_text(Scanner *self, const char *data, Py_ssize_t size, double now, PyObject *failures,
                     unsigned *suspects, Py_ssize_t *spans, SumRead *sum) {
    Scan s;
    memset(&s, 0, sizeof s);
    s.p = s.start = (const unsigned char *)data;
    s.end = s.p + size;
    s.sc = self;
    if (!isfinite(now) || now > 9.0e15 || now < 0) now = 0; /* then nothing is plausible: not clean */
    s.latest = (long long)floor(now) + self->one_day;
    s.details = R_NONE;
    s.failures = failures;
    s.text_mode = 1;
    s.suspecting = suspects != NULL;
    for (int i = 0; i < 6; i++) s.spans[i] = -1;
    int ok = self->n_nodes > 0 && value(&s, 0);
    if (ok) {
        skip_space(&s);
        ok = s.p == s.end;
    }
    PyMem_Free(s.arena);
    PyMem_Free(s.indexes);
    truth_free(&s.truth);
    chat_free(&s.chat);
    if (suspects != NULL) *suspects = s.suspects;
    if (spans != NULL) memcpy(spans, s.spans, sizeof s.spans);
    if (sum != NULL) {
        sum->only = s.usage_fails == USAGE_SUM_OFF && s.suspects == SUSPECT_USAGE;
        sum->prompt = s.prompt;
        sum->completion = s.completion;
        sum->total = s.total;
        sum->total_at = s.total_at;
    }
    return ok;
}

/* clean() and judge(): one pass over a document; `failures` a list to judge into, or NULL. */
static PyObject *scan_document(Scanner *self, PyObject *const *args, Py_ssize_t nargs, PyObject *failures,
                               unsigned *suspects, Py_ssize_t *spans) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "clean(document, now) and judge(document, now) take two arguments");
        return NULL;
    }
    double now = PyFloat_AsDouble(args[1]);
    if (now == -1.0 && PyErr_Occurred()) return NULL;
    const char *data;
    Py_ssize_t size;
    Py_buffer view;
    int release = 0;
    if (PyBytes_CheckExact(args[0])) {
        data = PyBytes_AS_STRING(args[0]);
        size = PyBytes_GET_SIZE(args[0]);
    } else if (PyUnicode_Check(args[0])) {
        data = PyUnicode_AsUTF8AndSize(args[0], &size);
        if (data == NULL) { /* lone surrogates: not UTF-8, so not for us to say */
            PyErr_Clear();
            Py_RETURN_FALSE;
        }
    } else {
        if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
        data = view.buf;
        size = view.len;
        release = 1;
    }
    int ok = scan_text(self, data, size, now, failures, suspects, spans, NULL);
    if (release) PyBuffer_Release(&view);
    if (ok) Py_RETURN_TRUE;
    Py_RETURN_FALSE;
}

static PyObject *scanner_clean(Scanner *self, PyObject *const *args, Py_ssize_t nargs) {
    return scan_document(self, args, nargs, NULL, NULL, NULL);
}

/* True (clean), None (not sure) or the schema failures of a document no rule reports on, as
 * [(keyword: 0 type, 1 enum, node, path tuple, value, byte offset of the value), ...]. */
static PyObject *scanner_judge(Scanner *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *failures = PyList_New(0);
    if (failures == NULL) return NULL;
    PyObject *verdict = scan_document(self, args, nargs, failures, NULL, NULL);
    if (verdict == NULL || verdict == Py_False || PyList_GET_SIZE(failures) == 0) {
        Py_DECREF(failures);
        if (verdict != Py_False) return verdict;
        Py_DECREF(verdict);
        Py_RETURN_NONE;
    }
    Py_DECREF(verdict);
    return failures;
}

/* `judge`, but where only the envelope's screen failed (an empty id, an implausible created, usage
 * arithmetic, a usage of zeros), (the schema failures, the SUSPECT_ bits of the parts that failed,
 * (start, end) byte offsets of the values of id, created and usage, -1 where not read): the rules
 * of those parts alone are left to run, on a document the scanner read whole (strict JSON, bounds
 * kept); a rule that reads only its member can be run on that member's text alone. */
/* The account of a scan (steals `failures`): None (not sure), True (clean), the failures, or with
 * SUSPECT_ bits (failures, bits, spans). */
static PyObject *account_of(PyObject *failures, int ok, unsigned suspects, const Py_ssize_t *spans) {
    if (!ok) {
        Py_DECREF(failures);
        Py_RETURN_NONE;
    }
    if (suspects) {
        PyObject *offsets[6];
        for (int i = 0; i < 6; i++) offsets[i] = PyLong_FromSsize_t(spans[i]);
        PyObject *items[3] = {failures, PyLong_FromUnsignedLong(suspects), tuple_of(6, offsets)};
        return tuple_of(3, items);
    }
    if (PyList_GET_SIZE(failures) == 0) {
        Py_DECREF(failures);
        Py_RETURN_TRUE;
    }
    return failures;
}

static PyObject *scanner_account(Scanner *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *failures = PyList_New(0);
    if (failures == NULL) return NULL;
    unsigned suspects = 0;
    Py_ssize_t spans[6];
    PyObject *verdict = scan_document(self, args, nargs, failures, &suspects, spans);
    if (verdict == NULL) {
        Py_DECREF(failures);
        return NULL;
    }
    int ok = verdict == Py_True;
    Py_DECREF(verdict);
    return account_of(failures, ok, suspects, spans);
}

/* What one scan of a log line found: `account`'s parts, as C values but for the failures' list. */
typedef struct {
    PyObject *failures; /* a new reference, until `account_of` takes it or the line is placed */
    int ok;
    unsigned suspects;
    Py_ssize_t spans[6];
    SumRead sum; /* what it read of usage where only its sum failed */
} LineScan;

/* Scan the JSON text data[:size] into `line`: 0 with an exception (no list). */
static int scan_line(Scanner *self, const char *data, Py_ssize_t size, double now, LineScan *line) {
    line->failures = PyList_New(0);
    if (line->failures == NULL) return 0;
    line->suspects = 0;
    line->ok = scan_text(self, data, size, now, line->failures, &line->suspects, line->spans, &line->sum);
    return 1;
}

/* The caches a line's account is looked up in (filled by Python, read here by the same keys): the
 * scanner's failures' records (`_records.py`), and the accounts of the envelope's members
 * (`_members.py`) with, for each set of failed parts whose rules read one member, that member. */
typedef struct {
    PyObject *records, *members, *member_of, *sums;
} Caches;

/* Where a line's account is one record, cached and final: 1 with the record and the byte offset of
 * its value (of its object, for a missing member), 0 where Python must settle the line, -1 with an
 * exception. */
static int cached_record(const LineScan *scanned, Py_ssize_t size, const char *line, const Caches *caches,
                         PyObject **record, Py_ssize_t *offset) {
    PyObject *known, *key, *found = scanned->failures;
    Py_ssize_t at;
    if (!scanned->suspects) { /* the schema's failures: [(kind, node, path, value, offset)] */
        if (PyList_GET_SIZE(found) != 1) return 0;
        PyObject *failure = PyList_GET_ITEM(found, 0);
        if (!PyTuple_CheckExact(failure) || PyTuple_GET_SIZE(failure) != 5) return 0;
        PyObject *value = PyTuple_GET_ITEM(failure, 3);
        /* 1, 1.0 and True are equal keys, and 0.0 and -0.0: the type and the repr tell them apart */
        PyObject *shown = PyFloat_CheckExact(value) ? PyObject_Repr(value) : Py_NewRef(value);
        if (shown == NULL) return -1;
        key = PyTuple_Pack(5, PyTuple_GET_ITEM(failure, 0), PyTuple_GET_ITEM(failure, 1),
                           PyTuple_GET_ITEM(failure, 2), (PyObject *)Py_TYPE(value), shown);
        Py_DECREF(shown);
        if (key == NULL) return -1;
        known = PyDict_GetItemWithError(caches->records, key); /* (record, final) */
        Py_DECREF(key);
        if (known == NULL) return PyErr_Occurred() ? -1 : 0; /* not made yet: Python makes it, and keeps it */
        if (!PyTuple_CheckExact(known) || PyTuple_GET_SIZE(known) != 2 || PyTuple_GET_ITEM(known, 1) != Py_True)
            return 0; /* not final: `recognized` may read it */
        at = PyLong_AsSsize_t(PyTuple_GET_ITEM(failure, 4));
    } else { /* only the envelope's screen failed: the SUSPECT_ bits, where id, created and usage lie */
        if (caches->members == Py_None || PyList_GET_SIZE(found) != 0) return 0;
        const Py_ssize_t *spans = scanned->spans;
        PyObject *bits = PyLong_FromUnsignedLong(scanned->suspects);
        if (bits == NULL) return -1;
        PyObject *member = PyDict_GetItemWithError(caches->member_of, bits); /* its rules read this member alone */
        Py_ssize_t index = member == NULL ? -1 : PyLong_AsSsize_t(member);
        if (PyErr_Occurred()) {
            Py_DECREF(bits);
            return -1;
        }
        Py_ssize_t start = index < 0 || index > 2 ? -1 : spans[2 * index], end = start < 0 ? -1 : spans[2 * index + 1];
        if (start < 0 || end < start || end > size) {
            Py_DECREF(bits);
            return 0;
        }
        PyObject *text = PyBytes_FromStringAndSize(line + start, end - start);
        key = text == NULL ? NULL : PyTuple_Pack(2, bits, text);
        Py_DECREF(bits);
        Py_XDECREF(text);
        if (key == NULL) return -1;
        known = PyDict_GetItemWithError(caches->members, key); /* (records, places, final), or None */
        Py_DECREF(key);
        if (known == NULL) return PyErr_Occurred() ? -1 : 0;
        if (!PyTuple_CheckExact(known) || PyTuple_GET_SIZE(known) != 3 || PyTuple_GET_ITEM(known, 2) != Py_True)
            return 0;
        PyObject *records = PyTuple_GET_ITEM(known, 0), *places = PyTuple_GET_ITEM(known, 1);
        if (!PyTuple_CheckExact(records) || PyTuple_GET_SIZE(records) != 1 || !PyTuple_CheckExact(places) ||
            PyTuple_GET_SIZE(places) != 1)
            return 0;
        PyObject *place = PyTuple_GET_ITEM(places, 0); /* (member index, byte offset in its text) */
        if (!PyTuple_CheckExact(place) || PyTuple_GET_SIZE(place) != 2) return 0;
        Py_ssize_t placed_in = PyLong_AsSsize_t(PyTuple_GET_ITEM(place, 0));
        Py_ssize_t within = PyLong_AsSsize_t(PyTuple_GET_ITEM(place, 1));
        if ((placed_in == -1 || within == -1) && PyErr_Occurred()) return -1;
        if (placed_in < 0 || placed_in > 2) return 0;
        Py_ssize_t member_start = spans[2 * placed_in];
        if (member_start < 0) return 0;
        known = records; /* (record,) */
        at = member_start + within;
    }
    if (at == -1 && PyErr_Occurred()) return -1;
    if (at < 0 || at > size) return 0;
    *record = PyTuple_GET_ITEM(known, 0);
    *offset = at;
    return 1;
}

/* The characters UTF-8 text[:n] holds: every byte but a continuation byte (10xxxxxx) starts one.
 * Eight bytes at a time: a log's finding may lie hundreds of bytes into its line. */
static Py_ssize_t characters(const char *text, Py_ssize_t n) {
    const uint64_t high = 0x8080808080808080ull;
    Py_ssize_t continuations = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        memcpy(&word, text + i, 8);
        /* a byte's top bit set and the bit below it clear (what `word << 1` carries in from the byte
         * below lands in bit 0, which `high` drops); the bytes' ones summed into the top byte by a
         * multiplication (portable, where a popcount builtin is not) */
        uint64_t starts = (word & ~(word << 1) & high) >> 7;
        continuations += (Py_ssize_t)((starts * 0x0101010101010101ull) >> 56);
    }
    for (; i < n; i++) continuations += ((unsigned char)text[i] & 0xC0) == 0x80;
    return n - continuations;
}

/* A long long written in decimal at `out` (room for 21 bytes): its length. snprintf parses its
 * format each time, at several times the cost, on every line of a log with a sum's finding. */
static Py_ssize_t decimal(long long value, char *out) {
    char reversed[21];
    int n = 0;
    unsigned long long magnitude = value < 0 ? 0ull - (unsigned long long)value : (unsigned long long)value;
    do {
        reversed[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    Py_ssize_t length = 0;
    if (value < 0) out[length++] = '-';
    while (n) out[length++] = reversed[--n];
    return length;
}

/* `record` placed at byte `offset` of line `number` of `file`, as `Finding.at` places it; with
 * `said` (message, expected, actual) in place of its own where not NULL. */
static PyObject *placed_record(PyObject *record, Py_ssize_t offset, const char *line, Py_ssize_t number,
                               PyObject *file, PyTypeObject *finding_type, PyObject *const *said) {
    static PyObject *file_name, *line_name, *column_name, *document_name, *dict_name, *said_names[3];
    if (dict_name == NULL) {
        file_name = PyUnicode_InternFromString("file");
        line_name = PyUnicode_InternFromString("line");
        column_name = PyUnicode_InternFromString("column");
        document_name = PyUnicode_InternFromString("document");
        said_names[0] = PyUnicode_InternFromString("message");
        said_names[1] = PyUnicode_InternFromString("expected");
        said_names[2] = PyUnicode_InternFromString("actual");
        dict_name = PyUnicode_InternFromString("__dict__");
        if (file_name == NULL || line_name == NULL || column_name == NULL || document_name == NULL ||
            said_names[0] == NULL || said_names[1] == NULL || said_names[2] == NULL || dict_name == NULL) {
            Py_CLEAR(dict_name);
            return NULL;
        }
    }
    Py_ssize_t column = 1 + characters(line, offset);
    PyObject *template = PyObject_GenericGetDict(record, NULL);
    if (template == NULL) return NULL;
    PyObject *fields = PyDict_Copy(template);
    Py_DECREF(template);
    if (fields == NULL) return NULL;
    PyObject *column_number = PyLong_FromSsize_t(column), *line_number = PyLong_FromSsize_t(number);
    if (column_number == NULL || line_number == NULL || PyDict_SetItem(fields, file_name, file) < 0 ||
        PyDict_SetItem(fields, line_name, line_number) < 0 || PyDict_SetItem(fields, column_name, column_number) < 0 ||
        PyDict_SetItem(fields, document_name, line_number) < 0) {
        Py_XDECREF(column_number);
        Py_XDECREF(line_number);
        Py_DECREF(fields);
        return NULL;
    }
    Py_DECREF(column_number);
    Py_DECREF(line_number);
    for (int i = 0; said != NULL && i < 3; i++) {
        if (PyDict_SetItem(fields, said_names[i], said[i]) < 0) {
            Py_DECREF(fields);
            return NULL;
        }
    }
    PyObject *made = finding_type->tp_alloc(finding_type, 0); /* object.__new__: no __init__ run, as `_with_fields` */
    if (made == NULL || PyObject_GenericSetAttr(made, dict_name, fields) < 0) { /* frozen: its own __setattr__ refuses */
        Py_XDECREF(made);
        Py_DECREF(fields);
        return NULL;
    }
    Py_DECREF(fields);
    return made;
}

/* A line's account placed as its one finding, where the caches hold it, final; Py_None (a new
 * reference) where Python must settle the line; NULL with an exception. */
static PyObject *placed_failure(const LineScan *found, const char *line, Py_ssize_t size, Py_ssize_t number,
                                const Caches *caches, PyObject *file, PyTypeObject *finding_type) {
    PyObject *record;
    Py_ssize_t offset;
    int cached = cached_record(found, size, line, caches, &record, &offset);
    if (cached < 0) return NULL;
    if (cached == 0 || Py_TYPE(record) != finding_type) Py_RETURN_NONE;
    return placed_record(record, offset, line, number, file, finding_type, NULL);
}

/* The slots of a sum's message pieces (`Sum.pieces`): the counts the screen reads, and their sum. */
enum { SLOT_TOTAL, SLOT_PROMPT, SLOT_COMPLETION, SLOT_SUM, SLOTS };

/* A line whose usage failed by its sum alone (no other part of the screen, no schema failure), where
 * `sums` keeps, for its SUSPECT_ bits, the finding the sum's rule made of an earlier line (by Python,
 * running the rule) and the pieces of the rule's message: that finding with this line's counts,
 * placed at total_tokens' value, as the rule would say it. Py_None (a new reference) where none is
 * kept; NULL with an exception. The counts are integers of at most MAX_INT_DIGITS digits (`number`),
 * so their sum cannot overflow. */
static PyObject *summed_failure(const LineScan *found, const char *line, Py_ssize_t size, Py_ssize_t number,
                                const Caches *caches, PyObject *file, PyTypeObject *finding_type) {
    const SumRead *sum = &found->sum;
    if (!sum->only || caches->sums == Py_None || !found->suspects || PyList_GET_SIZE(found->failures) != 0 ||
        sum->total_at < 0 || sum->total_at > size)
        Py_RETURN_NONE;
    PyObject *bits = PyLong_FromUnsignedLong(found->suspects);
    if (bits == NULL) return NULL;
    PyObject *kept = PyDict_GetItemWithError(caches->sums, bits); /* (record, pieces) */
    Py_DECREF(bits);
    if (kept == NULL) return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    if (!PyTuple_CheckExact(kept) || PyTuple_GET_SIZE(kept) != 2 || Py_TYPE(PyTuple_GET_ITEM(kept, 0)) != finding_type ||
        !PyTuple_CheckExact(PyTuple_GET_ITEM(kept, 1)))
        Py_RETURN_NONE;
    PyObject *record = PyTuple_GET_ITEM(kept, 0), *pieces = PyTuple_GET_ITEM(kept, 1);
    long long counts[SLOTS] = {sum->total, sum->prompt, sum->completion, sum->prompt + sum->completion};
    /* the message written out as UTF-8 in one buffer, decoded once (a str per piece and a join cost
     * more than the rest of the line's account); on the stack unless the template is long */
    Py_ssize_t n_pieces = PyTuple_GET_SIZE(pieces), need = 0;
    char stack[512], digits[32], *text = stack;
    PyObject *said[3] = {NULL, NULL, NULL}, *made = NULL;
    for (Py_ssize_t i = 0; i < n_pieces; i++) {
        PyObject *piece = PyTuple_GET_ITEM(pieces, i);
        Py_ssize_t n = 21; /* the most a long long's digits and its sign take */
        if (PyUnicode_CheckExact(piece) && PyUnicode_AsUTF8AndSize(piece, &n) == NULL) return NULL; /* kept in the str */
        need += n;
    }
    if (need > (Py_ssize_t)sizeof stack && (text = PyMem_Malloc((size_t)need)) == NULL) return PyErr_NoMemory();
    Py_ssize_t length = 0;
    for (Py_ssize_t i = 0; i < n_pieces; i++) {
        PyObject *piece = PyTuple_GET_ITEM(pieces, i);
        if (PyUnicode_CheckExact(piece)) {
            Py_ssize_t n;
            const char *bytes = PyUnicode_AsUTF8AndSize(piece, &n);
            memcpy(text + length, bytes, (size_t)n);
            length += n;
            continue;
        }
        long slot = PyLong_CheckExact(piece) ? PyLong_AsLong(piece) : -1;
        if (slot < 0 || slot >= SLOTS) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "summed_failure: a piece is a str or a slot");
            goto done;
        }
        length += decimal(counts[slot], text + length);
    }
    said[0] = PyUnicode_DecodeUTF8(text, length, "strict");
    said[1] = PyUnicode_FromStringAndSize(digits, decimal(counts[SLOT_SUM], digits));
    said[2] = PyLong_FromLongLong(sum->total);
    if (said[0] != NULL && said[1] != NULL && said[2] != NULL)
        made = placed_record(record, sum->total_at, line, number, file, finding_type, said);
done:
    if (text != stack) PyMem_Free(text);
    for (int i = 0; i < 3; i++) Py_XDECREF(said[i]);
    return made;
}

/* Lines account_lines hands back at most per call: each holds its account (lists, tuples) until Python
 * settles it, and thousands of them held at once cost more in Python's cyclic collections than the
 * calls they save. */
#define PENDING_MOST 32

/* account_lines(lines, start, number, now, records, members, member_of, sums, file, finding_type)
 *     -> (stop, number, clean, out, pending):
 * `account` for lines from `start` on, up to `stop` (their end, or the line after the PENDING_MOST-th
 * handed back), and the number of the line at `stop`. `lines`: a list of (number, bytes) (`start` an
 * index, `number` not used), or a block of bytes whose lines end at LF (`start` a byte offset at a line's
 * start, `number` that line's). Clean lines are counted; a line whose account is one record, cached and
 * final (`Caches`; `members` None where no member's rules are run alone), or a sum's finding kept in
 * `sums` (None: none are) with its counts filled in, is placed: its Finding goes to `out`. Any other line goes to `out` as (its number, its bytes, its account), for Python to settle, and
 * its position in `out` to `pending`. */
static PyObject *scanner_account_lines(Scanner *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "account_lines(lines, start, number, now, records, members, member_of, sums, "
                                         "file, finding_type) takes ten arguments");
        return NULL;
    }
    PyObject *source = args[0], *file = args[8];
    Caches caches = {args[4], args[5], args[6], args[7]};
    int listed = PyList_CheckExact(source);
    if (!(listed || PyBytes_CheckExact(source)) || !PyDict_CheckExact(caches.records) ||
        !(caches.members == Py_None || (PyDict_CheckExact(caches.members) && PyDict_CheckExact(caches.member_of))) ||
        !(caches.sums == Py_None || PyDict_CheckExact(caches.sums)) || !PyType_Check(args[9])) {
        PyErr_SetString(PyExc_TypeError, "account_lines takes a list or bytes, an index, a number, a time, a dict, "
                                         "two dicts or None and None, a dict or None, a name and a type");
        return NULL;
    }
    PyTypeObject *finding_type = (PyTypeObject *)args[9];
    Py_ssize_t at = PyLong_AsSsize_t(args[1]), number = PyLong_AsSsize_t(args[2]);
    if ((at == -1 || number == -1) && PyErr_Occurred()) return NULL;
    double now = PyFloat_AsDouble(args[3]);
    if (now == -1.0 && PyErr_Occurred()) return NULL;
    Py_ssize_t end = listed ? PyList_GET_SIZE(source) : PyBytes_GET_SIZE(source);
    if (at < 0) at = 0;
    if (at > end) at = end;
    Py_ssize_t clean = 0, seen = 0;
    PyObject *out = PyList_New(0), *pending = PyList_New(0);
    if (out == NULL || pending == NULL) goto fail;
    while (at < end) {
        if ((++seen & SIGNAL_EVERY) == 0 && PyErr_CheckSignals() < 0) goto fail; /* Ctrl-C */
        const char *line;
        Py_ssize_t size, next;
        PyObject *raw = NULL, *found;
        if (listed) {
            PyObject *entry = PyList_GET_ITEM(source, at);
            next = at + 1;
            if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 2 ||
                !PyBytes_CheckExact(PyTuple_GET_ITEM(entry, 1)) || !PyLong_CheckExact(PyTuple_GET_ITEM(entry, 0))) {
                PyErr_SetString(PyExc_TypeError, "account_lines: each line is a (number, bytes) tuple");
                goto fail;
            }
            number = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 0));
            if (number == -1 && PyErr_Occurred()) goto fail;
            raw = PyTuple_GET_ITEM(entry, 1);
            line = PyBytes_AS_STRING(raw);
            size = PyBytes_GET_SIZE(raw);
        } else {
            line = PyBytes_AS_STRING(source) + at;
            const char *stop = memchr(line, '\n', (size_t)(end - at));
            size = stop == NULL ? end - at : stop - line;
            next = at + size + (stop != NULL);
        }
        LineScan scanned;
        if (!scan_line(self, line, size, now, &scanned)) goto fail;
        if (PyErr_Occurred()) { /* the scan stopped at Ctrl-C */
            Py_DECREF(scanned.failures);
            goto fail;
        }
        found = NULL; /* the account as Python sees it, made only for a line handed back */
        PyObject *made = Py_None;
        if (scanned.ok && !scanned.suspects && PyList_GET_SIZE(scanned.failures) == 0) {
            clean++;
            Py_DECREF(scanned.failures);
        } else {
            made = scanned.ok ? summed_failure(&scanned, line, size, number, &caches, file, finding_type)
                              : Py_NewRef(Py_None);
            if (made == Py_None && scanned.ok) {
                Py_DECREF(made);
                made = placed_failure(&scanned, line, size, number, &caches, file, finding_type);
            }
            if (made == NULL) {
                Py_DECREF(scanned.failures);
                goto fail;
            }
            if (made != Py_None) {
                Py_DECREF(scanned.failures);
            } else if ((found = account_of(scanned.failures, scanned.ok, scanned.suspects, scanned.spans)) == NULL) {
                Py_DECREF(made);
                goto fail;
            }
            if (made == Py_None) {
                Py_DECREF(made);
                PyObject *position = PyLong_FromSsize_t(PyList_GET_SIZE(out));
                raw = raw != NULL ? Py_NewRef(raw) : PyBytes_FromStringAndSize(line, size);
                if (position == NULL || raw == NULL || PyList_Append(pending, position) < 0) {
                    Py_XDECREF(position);
                    Py_XDECREF(raw);
                    Py_DECREF(found);
                    goto fail;
                }
                Py_DECREF(position);
                made = Py_BuildValue("(nNO)", number, raw, found);
                if (made == NULL) {
                    Py_DECREF(found);
                    goto fail;
                }
            }
            int appended = PyList_Append(out, made);
            Py_DECREF(made);
            if (appended < 0) {
                Py_XDECREF(found);
                goto fail;
            }
        }
        Py_XDECREF(found);
        at = next;
        number++;
        if (PyList_GET_SIZE(pending) >= PENDING_MOST) break;
    }
    return Py_BuildValue("(nnnNN)", at, number, clean, out, pending);
fail:
    Py_XDECREF(out);
    Py_XDECREF(pending);
    return NULL;
}

static PyObject *scanner_clean_value(Scanner *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "clean_value(value, now) takes two arguments");
        return NULL;
    }
    double now = PyFloat_AsDouble(args[1]);
    if (now == -1.0 && PyErr_Occurred()) return NULL;
    Scan s;
    memset(&s, 0, sizeof s);
    s.sc = self;
    if (!isfinite(now) || now > 9.0e15 || now < 0) now = 0;
    s.latest = (long long)floor(now) + self->one_day;
    s.details = R_NONE;
    s.text_mode = 1;
    int ok = self->n_nodes > 0 && walk(&s, args[0], 0);
    PyMem_Free(s.indexes);
    truth_free(&s.truth);
    chat_free(&s.chat);
    if (PyErr_Occurred()) return NULL;
    if (ok) Py_RETURN_TRUE;
    if (s.over_budget) Py_RETURN_NONE; /* too much to walk: a round trip through JSON text would be too */
    Py_RETURN_FALSE;
}

/* --- building a scanner from the program _program.py compiles ---------------------------- */

static void scanner_dealloc(Scanner *self) {
    PyMem_Free(self->nodes);
    PyMem_Free(self->props);
    PyMem_Free(self->enum_values);
    PyMem_Free(self->enum_lengths);
    PyMem_Free(self->conditions);
    Py_XDECREF(self->keep);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int as_int(PyObject *item, long long lowest, long long highest, long long *out) {
    long long v = PyLong_AsLongLong(item);
    if (v == -1 && PyErr_Occurred()) return 0;
    if (v < lowest || v > highest) {
        PyErr_SetString(PyExc_ValueError, "program: a number out of range");
        return 0;
    }
    *out = v;
    return 1;
}

/* A node: (types, role, enum strings (tuple of bytes), enum_null, props ((name bytes, node), ...),
 *          required (tuple of prop positions), additional, items, minimum or None, maximum or None,
 *          conditions ((discriminator prop, string bytes, (required props, ...)), ...)) */
static int load_node(Scanner *self, PyObject *spec, Node *n, Py_ssize_t *prop_at, Py_ssize_t *enum_at,
                     Py_ssize_t *condition_at, PyObject *keep) {
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 11) {
        PyErr_SetString(PyExc_ValueError, "program: a node is a tuple of 11");
        return 0;
    }
    long long v;
    if (!as_int(PyTuple_GET_ITEM(spec, 0), 0, T_ANY, &v)) return 0;
    n->types = (int)v;
    if (!as_int(PyTuple_GET_ITEM(spec, 1), 0, R_ROLES - 1, &v)) return 0;
    n->role = (int)v;
    PyObject *enums = PyTuple_GET_ITEM(spec, 2);
    if (!PyTuple_Check(enums)) {
        PyErr_SetString(PyExc_ValueError, "program: enum is a tuple");
        return 0;
    }
    n->enum_null = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 3));
    n->n_enum = PyTuple_GET_SIZE(enums);
    n->enum_first = *enum_at;
    for (Py_ssize_t i = 0; i < n->n_enum; i++) {
        PyObject *e = PyTuple_GET_ITEM(enums, i);
        if (!PyBytes_Check(e)) {
            PyErr_SetString(PyExc_ValueError, "program: enum values are bytes");
            return 0;
        }
        if (PyList_Append(keep, e) < 0) return 0;
        self->enum_values[*enum_at] = PyBytes_AS_STRING(e);
        self->enum_lengths[*enum_at] = PyBytes_GET_SIZE(e);
        (*enum_at)++;
    }
    if (n->enum_null && n->n_enum == 0) {
        PyErr_SetString(PyExc_ValueError, "program: an enum of null alone");
        return 0;
    }
    PyObject *props = PyTuple_GET_ITEM(spec, 4);
    if (!PyTuple_Check(props) || PyTuple_GET_SIZE(props) > MAX_PROPS) {
        PyErr_SetString(PyExc_ValueError, "program: props is a tuple of at most 64");
        return 0;
    }
    n->n_props = (int)PyTuple_GET_SIZE(props);
    n->prop_first = (int)*prop_at;
    for (Py_ssize_t i = 0; i < n->n_props; i++) {
        PyObject *pair = PyTuple_GET_ITEM(props, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || !PyBytes_Check(PyTuple_GET_ITEM(pair, 0))) {
            PyErr_SetString(PyExc_ValueError, "program: a prop is (bytes, node)");
            return 0;
        }
        Prop *prop = &self->props[*prop_at];
        if (PyList_Append(keep, PyTuple_GET_ITEM(pair, 0)) < 0) return 0;
        prop->name = PyBytes_AS_STRING(PyTuple_GET_ITEM(pair, 0));
        prop->length = PyBytes_GET_SIZE(PyTuple_GET_ITEM(pair, 0));
        if (!as_int(PyTuple_GET_ITEM(pair, 1), 0, self->n_nodes - 1, &v)) return 0;
        prop->node = (int)v;
        (*prop_at)++;
    }
    PyObject *required = PyTuple_GET_ITEM(spec, 5);
    if (!PyTuple_Check(required) || PyTuple_GET_SIZE(required) > MAX_PROPS) {
        PyErr_SetString(PyExc_ValueError, "program: required is a tuple");
        return 0;
    }
    n->required = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(required); i++) {
        if (!as_int(PyTuple_GET_ITEM(required, i), 0, n->n_props - 1, &v)) return 0;
        n->required |= (uint64_t)1 << v;
        n->required_order[n->n_required++] = (signed char)v;
    }
    if (!as_int(PyTuple_GET_ITEM(spec, 6), CLOSED, self->n_nodes - 1, &v)) return 0;
    n->additional = (int)v;
    if (!as_int(PyTuple_GET_ITEM(spec, 7), NO_NODE, self->n_nodes - 1, &v)) return 0;
    n->items = (int)v;
    PyObject *minimum = PyTuple_GET_ITEM(spec, 8), *maximum = PyTuple_GET_ITEM(spec, 9);
    n->has_minimum = minimum != Py_None;
    n->has_maximum = maximum != Py_None;
    if (n->has_minimum && !as_int(minimum, -LLONG_MAX, LLONG_MAX, &n->minimum)) return 0;
    if (n->has_maximum && !as_int(maximum, -LLONG_MAX, LLONG_MAX, &n->maximum)) return 0;
    PyObject *conditions = PyTuple_GET_ITEM(spec, 10);
    if (!PyTuple_Check(conditions) || PyTuple_GET_SIZE(conditions) > MAX_CONDITIONS) {
        PyErr_SetString(PyExc_ValueError, "program: conditions is a tuple of at most 8");
        return 0;
    }
    n->n_conditions = (int)PyTuple_GET_SIZE(conditions);
    n->condition_first = (int)*condition_at;
    for (Py_ssize_t i = 0; i < n->n_conditions; i++) {
        PyObject *item = PyTuple_GET_ITEM(conditions, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3 || !PyBytes_Check(PyTuple_GET_ITEM(item, 1)) ||
            !PyTuple_Check(PyTuple_GET_ITEM(item, 2))) {
            PyErr_SetString(PyExc_ValueError, "program: a condition is (prop, bytes, (props, ...))");
            return 0;
        }
        Condition *c = &self->conditions[*condition_at];
        if (!as_int(PyTuple_GET_ITEM(item, 0), 0, n->n_props - 1, &v)) return 0;
        c->prop = (int)v;
        PyObject *string = PyTuple_GET_ITEM(item, 1);
        if (memchr(PyBytes_AS_STRING(string), '\\', (size_t)PyBytes_GET_SIZE(string)) ||
            memchr(PyBytes_AS_STRING(string), '"', (size_t)PyBytes_GET_SIZE(string))) {
            PyErr_SetString(PyExc_ValueError, "program: a condition's string holds no escape");
            return 0;
        }
        if (PyList_Append(keep, string) < 0) return 0;
        c->value = PyBytes_AS_STRING(string);
        c->length = PyBytes_GET_SIZE(string);
        PyObject *then = PyTuple_GET_ITEM(item, 2);
        c->then = 0;
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(then); k++) {
            if (!as_int(PyTuple_GET_ITEM(then, k), 0, n->n_props - 1, &v)) return 0;
            c->then |= (uint64_t)1 << v;
        }
        (*condition_at)++;
    }
    return 1;
}

static PyObject *scanner_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"program", "earliest", "one_day", "chunk", NULL};
    PyObject *program;
    long long earliest, one_day;
    int chunk;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!LLp", names, &PyTuple_Type, &program, &earliest, &one_day,
                                     &chunk))
        return NULL;
    Scanner *self = (Scanner *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->earliest = earliest;
    self->one_day = one_day;
    self->chunk = chunk;
    self->keep = PyList_New(0);
    if (self->keep == NULL) goto fail;
    Py_ssize_t n_nodes = PyTuple_GET_SIZE(program), n_props = 0, n_enum = 0, n_conditions = 0;
    if (n_nodes == 0 || n_nodes > 100000) {
        PyErr_SetString(PyExc_ValueError, "program: between 1 and 100,000 nodes");
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n_nodes; i++) {
        PyObject *spec = PyTuple_GET_ITEM(program, i);
        if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) != 11 || !PyTuple_Check(PyTuple_GET_ITEM(spec, 2)) ||
            !PyTuple_Check(PyTuple_GET_ITEM(spec, 4)) || !PyTuple_Check(PyTuple_GET_ITEM(spec, 10))) {
            PyErr_SetString(PyExc_ValueError, "program: a node is a tuple of 11");
            goto fail;
        }
        n_enum += PyTuple_GET_SIZE(PyTuple_GET_ITEM(spec, 2));
        n_props += PyTuple_GET_SIZE(PyTuple_GET_ITEM(spec, 4));
        n_conditions += PyTuple_GET_SIZE(PyTuple_GET_ITEM(spec, 10));
    }
    self->n_nodes = n_nodes;
    self->nodes = PyMem_Calloc((size_t)n_nodes, sizeof(Node));
    self->props = PyMem_Calloc((size_t)n_props + 1, sizeof(Prop));
    self->enum_values = PyMem_Calloc((size_t)n_enum + 1, sizeof(char *));
    self->enum_lengths = PyMem_Calloc((size_t)n_enum + 1, sizeof(Py_ssize_t));
    self->conditions = PyMem_Calloc((size_t)n_conditions + 1, sizeof(Condition));
    if (!self->nodes || !self->props || !self->enum_values || !self->enum_lengths || !self->conditions) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_ssize_t prop_at = 0, enum_at = 0, condition_at = 0;
    for (Py_ssize_t i = 0; i < n_nodes; i++) {
        if (!load_node(self, PyTuple_GET_ITEM(program, i), &self->nodes[i], &prop_at, &enum_at, &condition_at,
                       self->keep))
            goto fail;
    }
    return (PyObject *)self;
fail:
    self->n_nodes = 0;
    Py_DECREF(self);
    return NULL;
}

static PyMethodDef scanner_methods[] = {
    {"clean", (PyCFunction)(void (*)(void))scanner_clean, METH_FASTCALL,
     "clean(document, now) -> bool: True only if the JSON document is certainly clean; `now` is time.time()."},
    {"judge", (PyCFunction)(void (*)(void))scanner_judge, METH_FASTCALL,
     "judge(document, now) -> True (clean), None (not sure) or its schema failures, when no rule reports on it."},
    {"account", (PyCFunction)(void (*)(void))scanner_account, METH_FASTCALL,
     PyDoc_STR("account(document, now) -> judge's answer, or (failures, SUSPECT_ bits, spans of id, created, usage) "
               "where only the envelope's screen failed")},
    {"account_lines", (PyCFunction)(void (*)(void))scanner_account_lines, METH_FASTCALL,
     PyDoc_STR("account_lines(lines, start, number, now, records, members, member_of, sums, file, finding_type) -> "
               "(stop, number, clean, out, pending): `account` for lines (a list of (number, bytes), or a block of "
               "bytes) up to `stop`: clean ones counted, those whose account is one cached final record placed (a "
               "Finding in `out`), the others as (number, bytes, account) in `out` (positions in `pending`)")},
    {"clean_value", (PyCFunction)(void (*)(void))scanner_clean_value, METH_FASTCALL,
     "clean_value(value, now) -> bool | None: the same for a Python value (exact dict, list, str, int, float, bool, "
     "None); None where it holds more than WALK_BUDGET values written out."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "completion_validator._fastpath._scan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_dealloc = (destructor)scanner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A one-pass check that a JSON document is certainly clean, built from a compiled schema program.",
    .tp_methods = scanner_methods,
    .tp_new = scanner_new,
};

/* --- how large a Python value is, written out ------------------------------------------- */

/* Values deeper than this are not counted: orjson refuses to write them (255 levels), and the C
   stack must stay shallow whatever the value. */
#define COUNT_DEPTH 256

/* 1 while `o`, written out, holds at most *left more values; 0 past it; -1 with an exception (Ctrl-C).
 * `*plain` is cleared where `o` holds anything but exact dicts with str keys, lists, str, int,
 * finite floats, bool and None (what orjson writes as itself, and reads back equal). */
static int count_within(PyObject *o, Py_ssize_t *left, int depth, int *plain) {
    if (--*left < 0) return 0;
    if ((*left & SIGNAL_EVERY) == 0 && PyErr_CheckSignals() < 0) return -1;
    if (depth > COUNT_DEPTH) {
        *plain = 0;
        return 1;
    }
    PyTypeObject *type = Py_TYPE(o);
    if (type == &PyDict_Type) {
        Py_ssize_t at = 0;
        PyObject *key, *item;
        while (PyDict_Next(o, &at, &key, &item)) {
            if (!PyUnicode_CheckExact(key)) *plain = 0;
            int found = count_within(item, left, depth + 1, plain);
            if (found <= 0) return found;
        }
    } else if (type == &PyList_Type || type == &PyTuple_Type) {
        if (type == &PyTuple_Type) *plain = 0; /* written as a list: read back, not equal */
        Py_ssize_t count = PySequence_Fast_GET_SIZE(o);
        for (Py_ssize_t i = 0; i < count && i < PySequence_Fast_GET_SIZE(o); i++) {
            int found = count_within(PySequence_Fast_GET_ITEM(o, i), left, depth + 1, plain);
            if (found <= 0) return found;
        }
    } else if (type == &PyFloat_Type) {
        if (!isfinite(PyFloat_AS_DOUBLE(o))) *plain = 0; /* written as null */
    } else if (type != &PyUnicode_Type && type != &PyLong_Type && type != &PyBool_Type && o != Py_None) {
        *plain = 0;
    }
    return 1;
}

static PyObject *written_out_within(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "written_out_within(value, limit) takes two arguments");
        return NULL;
    }
    Py_ssize_t left = PyLong_AsSsize_t(args[1]);
    if (left == -1 && PyErr_Occurred()) return NULL;
    int plain = 1;
    int found = count_within(args[0], &left, 0, &plain);
    if (found < 0) return NULL;
    return PyLong_FromLong(found ? 1 + plain : 0);
}

static PyMethodDef module_functions[] = {
    {"written_out_within", (PyCFunction)(void (*)(void))written_out_within, METH_FASTCALL,
     "written_out_within(value, limit) -> 0 if a Python value, written out as JSON, holds more than limit values "
     "(shared sub-objects counted each time they appear; exact dicts, lists and tuples are looked into); else 1, "
     "or 2 where it holds only exact dicts with str keys, lists, str, int, finite floats, bool and None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef scan_module = {
    PyModuleDef_HEAD_INIT, "_scan", "The compiled one-pass scanner of the fast path (see _scan.c).", -1, module_functions,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    if (PyType_Ready(&ScannerType) < 0) return NULL;
    PyObject *module = PyModule_Create(&scan_module);
    if (module == NULL) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(module, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddStringConstant(module, "SOURCE_DIGEST", SOURCE_DIGEST) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    /* Every constant the program compiler (_program.py) needs, so Python holds no copy of them. */
    static const struct { const char *name; long value; } constants[] = {
        {"T_NULL", T_NULL}, {"T_BOOLEAN", T_BOOLEAN}, {"T_OBJECT", T_OBJECT}, {"T_ARRAY", T_ARRAY},
        {"T_NUMBER", T_NUMBER}, {"T_INTEGER", T_INTEGER}, {"T_STRING", T_STRING}, {"T_ANY", T_ANY},
        {"R_NONE", R_NONE}, {"R_ROOT", R_ROOT}, {"R_CREATED", R_CREATED}, {"R_ID", R_ID}, {"R_USAGE", R_USAGE},
        {"R_PROMPT", R_PROMPT}, {"R_COMPLETION", R_COMPLETION}, {"R_TOTAL", R_TOTAL},
        {"R_DETAILS_PROMPT", R_DETAILS_PROMPT}, {"R_DETAILS_COMPLETION", R_DETAILS_COMPLETION},
        {"R_DETAIL_COUNT", R_DETAIL_COUNT}, {"R_CHOICES", R_CHOICES}, {"R_CHOICE", R_CHOICE}, {"R_INDEX", R_INDEX},
        {"R_LOGPROBS", R_LOGPROBS}, {"R_LOGPROB_ARRAY", R_LOGPROB_ARRAY}, {"R_OFFSET", R_OFFSET},
        {"R_TOKEN", R_TOKEN}, {"R_TEXT", R_TEXT}, {"R_FINISH", R_FINISH}, {"R_TOKEN_LOGPROB", R_TOKEN_LOGPROB},
        {"R_TOP_ITEM", R_TOP_ITEM}, {"R_TOP_VALUE", R_TOP_VALUE}, {"R_MESSAGE", R_MESSAGE}, {"R_SAYS", R_SAYS},
        {"R_FUNCTION_CALL", R_FUNCTION_CALL}, {"R_TOOL_CALLS", R_TOOL_CALLS}, {"R_ARGUMENTS", R_ARGUMENTS},
        {"R_LP_ITEM", R_LP_ITEM}, {"R_LP_TOP", R_LP_TOP}, {"R_LP_TOKEN", R_LP_TOKEN}, {"R_LP_BYTES", R_LP_BYTES},
        {"R_LP_BYTE", R_LP_BYTE}, {"MAX_CONDITIONS", MAX_CONDITIONS},
        {"NO_NODE", NO_NODE}, {"CLOSED", CLOSED}, {"MAX_DEPTH", MAX_DEPTH}, {"MAX_OTHER_KEYS", MAX_OTHER_KEYS},
        {"MAX_CHOICES", MAX_CHOICES}, {"MAX_PROPS", MAX_PROPS}, {"MAX_INT_DIGITS", MAX_INT_DIGITS},
        {"MAX_FAILURES", MAX_FAILURES}, {"WALK_BUDGET", WALK_BUDGET}, {"FAIL_TYPE", FAIL_TYPE}, {"FAIL_ENUM", FAIL_ENUM},
        {"FAIL_REQUIRED", FAIL_REQUIRED}, {"KEPT_TYPE", KEPT_TYPE}, {"KEPT_ENUM", KEPT_ENUM},
        {"KEPT_REQUIRED", KEPT_REQUIRED}, {"SUSPECT_ID", SUSPECT_ID}, {"SUSPECT_CREATED", SUSPECT_CREATED},
        {"SUSPECT_USAGE", SUSPECT_USAGE}, {"SUSPECT_ZERO_USAGE", SUSPECT_ZERO_USAGE}, {"SLOT_TOTAL", SLOT_TOTAL},
        {"SLOT_PROMPT", SLOT_PROMPT}, {"SLOT_COMPLETION", SLOT_COMPLETION}, {"SLOT_SUM", SLOT_SUM},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        if (PyModule_AddIntConstant(module, constants[i].name, constants[i].value) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
