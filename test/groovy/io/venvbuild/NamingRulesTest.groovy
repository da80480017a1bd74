package io.venvbuild

import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertNull

import java.util.regex.Pattern
import org.junit.Test

/** naming.json, written for Python's re, read by Java's regex too. */
class NamingRulesTest {

    static final Map RULES = NamingRules.parse(new File('resources/venvbuild/naming.json').getText('UTF-8'))

    @Test
    void everyPatternCompilesInJava() {
        RULES.each { kind, spec -> Pattern.compile(spec.pattern as String) }
    }

    @Test
    void hasEveryRuleTheStepsUse() {
        assertEquals([], BuildVenvOptions.NAMING.values().findAll { !RULES.containsKey(it) })
    }

    @Test
    void matchesTheWholeValue() {
        assertNull(NamingRules.problem(RULES, 'env_name', 'envName', 'demo-1.0_x'))
        assertEquals("envName 'demo\\u000a' is not valid: ${RULES.env_name.rule}".toString(),
            NamingRules.problem(RULES, 'env_name', 'envName', 'demo\n'))
        assertEquals("pythonVersion '3.11.2' is not valid: ${RULES.python_version.rule}".toString(),
            NamingRules.problem(RULES, 'python_version', 'pythonVersion', '3.11.2'))
    }

    @Test
    void acceptsThePrefixesTheLookaroundsAllow() {
        assertNull(NamingRules.problem(RULES, 'prefix', 'prefix', 'team/venv-builds'))
        ['team//x', 'a/../b', 'x/', '/x'].each { String prefix ->
            assertEquals("prefix '${prefix}' is not valid: ${RULES.prefix.rule}".toString(),
                NamingRules.problem(RULES, 'prefix', 'prefix', prefix))
        }
    }
}
