package io.venvbuild

import static org.junit.Assert.assertEquals

import org.junit.Test

/** exit_codes.json, the helper's exit codes as the steps report them. */
class HelperExitCodesTest {

    static final Map<Integer, String> CODES =
        HelperExitCodes.parse(new File('resources/venvbuild/exit_codes.json').getText('UTF-8'))

    @Test
    void readsEveryCodeAsANumber() {
        assertEquals([0, 2, 3, 4, 5, 6], CODES.keySet().sort())
        assertEquals('unpinned requirements', HelperExitCodes.meaning(CODES, 3))
    }

    @Test
    void anUnknownCodeIsNamedAsSuch() {
        assertEquals('unexpected exit code', HelperExitCodes.meaning(CODES, 137))
    }
}
