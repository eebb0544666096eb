package io.cspflow.kstreams;

/** cspflow's caps (common/limits.h, handlers/handlers.h, common/cf_time.h). */
final class Limits {
    static final int ID_MAX = 128;
    static final int TEXT_MAX = 512;
    static final int ROLES_MAX = 16;
    static final int SUBS_MAX = 256;
    static final int EVENTS_PER_KEY_MAX = 4096;
    static final int RECORD_MAX = 1024 * 1024;
    static final int OFFER_CHAIN_MAX = 8;
    static final int CATALOG_MAX = 65536;
    static final int DISCONTINUED_MAX = 64;
    static final int PROVISION_ATTEMPTS_MAX = 3;
    static final int GRACE_DAYS = 30;
    static final long MS_PER_DAY = 86_400_000L;
    /** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, in ms. */
    static final long TIME_MIN = -62_135_596_800_000L;
    static final long TIME_MAX = 253_402_300_799_999L;
    /** A rejection's detail: at most this many bytes (CF_DETAIL_SIZE - 1). */
    static final int DETAIL_MAX = 255;
    /** The longest key an audit record carries. */
    static final int KEY_MAX = 2 * ID_MAX + 1;

    private Limits() {}
}
