package io.cspflow.kstreams;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The offer catalog (`--catalog FILE`): the offers known to be discontinued
 * and their equivalents, read as schemas/catalog_json.c reads it
 * ({"offers":[{"offer_id","discontinued","equivalent_offer_id"}]};
 * `discontinued` defaults to true; a later entry for the same offer wins).
 */
final class Catalog {
    private record Entry(boolean discontinued, String equivalent) {}

    private final Map<String, Entry> offers = new HashMap<>();

    /** Reads a catalog file; IOException says what is wrong with it. */
    static Catalog load(Path path) throws IOException {
        ObjectMapper om = new ObjectMapper();
        om.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode root;
        try {
            root = om.readTree(Files.readAllBytes(path));
        } catch (IOException e) {
            throw new IOException("catalog " + path + ": " + e.getMessage(), e);
        }
        JsonNode list = root == null ? null : root.get("offers");
        if (list == null || !list.isArray())
            throw new IOException("catalog: \"offers\" must be an array");
        if (list.size() > Limits.CATALOG_MAX)
            throw new IOException("catalog: more than " + Limits.CATALOG_MAX + " offers");
        Catalog cat = new Catalog();
        for (int i = 0; i < list.size(); i++) {
            JsonNode o = list.get(i);
            JsonNode id = o.isObject() ? o.get("offer_id") : null;
            JsonNode disc = o.isObject() ? o.get("discontinued") : null;
            JsonNode eq = o.isObject() ? o.get("equivalent_offer_id") : null;
            if (!idOk(id))
                throw new IOException("catalog: offers[" + i + "].offer_id must be a non-empty "
                                      + "string of at most " + Limits.ID_MAX + " bytes");
            if (disc != null && !disc.isBoolean())
                throw new IOException("catalog: offers[" + i + "].discontinued must be a boolean");
            if (eq != null && !eq.isNull() && !idOk(eq))
                throw new IOException("catalog: offers[" + i + "].equivalent_offer_id must be a "
                                      + "non-empty string of at most " + Limits.ID_MAX
                                      + " bytes or null");
            cat.offers.put(id.textValue(), new Entry(disc == null || disc.booleanValue(),
                                                     eq != null && eq.isTextual()
                                                         ? eq.textValue() : ""));
        }
        return cat;
    }

    private static boolean idOk(JsonNode v) {
        if (v == null || !v.isTextual())
            return false;
        String s = v.textValue();
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        return n > 0 && n <= Limits.ID_MAX && s.indexOf('\0') < 0;
    }

    /** For an offer the catalog marks discontinued, its equivalent ("" when
     *  none); null when the offer is not discontinued here. */
    String discontinued(String offerId) {
        Entry e = offers.get(offerId);
        return e != null && e.discontinued ? e.equivalent : null;
    }

    int size() {
        return offers.size();
    }
}
