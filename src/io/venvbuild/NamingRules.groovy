package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonSlurperClassic

/** The naming rules of resources/venvbuild/naming.json, shared with the Python helper. */
class NamingRules {

    /** naming.json text (read with libraryResource) -> [kind: [pattern: ..., rule: ...]]. */
    @NonCPS
    static Map parse(String namingJson) {
        return new HashMap(new JsonSlurperClassic().parseText(namingJson) as Map)
    }

    /** Null when value follows the rule for kind, else a one-line error naming the parameter. */
    @NonCPS
    static String problem(Map rules, String kind, String parameter, Object value) {
        Map spec = rules[kind] as Map
        if (spec == null) {
            throw new IllegalStateException("naming.json has no rule '${kind}'")
        }
        if (value instanceof String && value ==~ (spec.pattern as String)) {
            return null
        }
        return "${parameter} ${quote(value)} is not valid: ${spec.rule}"
    }

    /** value for an error message: quoted, control characters escaped so the message stays one line. */
    @NonCPS
    static String quote(Object value) {
        if (!(value instanceof CharSequence)) {
            return String.valueOf(value)
        }
        String escaped = value.toString().replaceAll(/[\x00-\x1f]/) { String c -> String.format('\\u%04x', (int) c.charAt(0)) }
        return "'${escaped}'"
    }
}
