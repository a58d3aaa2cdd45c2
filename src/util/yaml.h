/* SPDX-License-Identifier: Apache-2.0 */
/* A strict reader for the small YAML subset that configuration files use:
 * block mappings and sequences, plain, quoted and literal (|) scalars, one-line
 * flow sequences, comments. Everything else is an error that names the line. */
#ifndef SE_YAML_H
#define SE_YAML_H

#include <stdbool.h>
#include <stddef.h>

enum yaml_type { YAML_NULL, YAML_SCALAR, YAML_MAP, YAML_SEQ };

/* One node of the document tree. A mapping keeps its keys in file order
 * (keys[i] belongs to items[i]); a sequence uses items only. */
struct yaml_node {
    enum yaml_type type;
    int line;
    char *str; /* YAML_SCALAR: the decoded value, NUL-terminated */
    bool quoted;
    size_t n, cap;
    char **keys;
    int *key_lines;
    struct yaml_node **items;
};

/* Where and why a document was refused. */
struct yaml_error {
    int line; /* 1-based; 0 when the error concerns the whole text */
    char msg[256];
};

/* Parses len bytes of text into a tree owned by the caller (yaml_free).
 * An empty document (only comments or blank lines) gives a YAML_NULL node.
 * Returns 0, or -EINVAL with err filled. */
int yaml_parse(const char *text, size_t len, struct yaml_node **out, struct yaml_error *err);

/* Frees a tree from yaml_parse; NULL is fine. */
void yaml_free(struct yaml_node *n);

/* The name of a node's type for messages: "a mapping", "a string" ... */
const char *yaml_type_name(const struct yaml_node *n);

#endif
