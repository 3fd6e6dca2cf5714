/**
 * Naming rules the config layer and the components share, in one place (the config imports them; components
 * never import the config).
 */

/** The stack's name prefix: it starts every physical name, so it is short, lower case and DNS-safe. */
export const NAME_PREFIX = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;
export const NAME_PREFIX_RULE = "2-20 characters of a-z, 0-9 and '-', starting with a letter";

/** An ingest client's name (its API key and usage plan are named after it). */
export const CLIENT_NAME = /^[a-z][a-z0-9-]{0,30}$/;
export const CLIENT_NAME_RULE = "1-31 characters of a-z, 0-9 and '-', starting with a letter";
