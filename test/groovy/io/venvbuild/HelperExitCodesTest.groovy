package io.venvbuild

import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue

import org.junit.Test

/** exit_codes.json, the helper's exit codes as the steps report them. */
class HelperExitCodesTest {

    static final Map<Integer, String> CODES =
        HelperExitCodes.parse(new File('resources/venvbuild/exit_codes.json').getText('UTF-8'))

    @Test
    void readsEveryCodeAsANumber() {
        // The codes the steps rely on; the file may add more (e.g. 70, internal error) without breaking this.
        [0, 2, 3, 4, 5, 6].each { Integer code -> assertTrue("exit code ${code} is missing", CODES.containsKey(code)) }
        assertTrue(CODES.keySet().every { it instanceof Integer })
        assertEquals('unpinned requirements', HelperExitCodes.meaning(CODES, 3))
    }

    @Test
    void anUnknownCodeIsNamedAsSuch() {
        assertEquals('unexpected exit code', HelperExitCodes.meaning(CODES, 137))
    }
}
