import static org.junit.Assert.assertTrue
import static org.junit.Assert.fail

import org.junit.AssumptionViolatedException
import org.junit.Test

/** BuildVenvEndToEndTest without the helper on PATH: skipped on a developer's machine, failed on CI. */
class BuildVenvEndToEndSetupTest {

    @Test
    void failsOnCiWithoutTheHelper() {
        ['true', '1', 'yes'].each { String ci ->
            try {
                BuildVenvEndToEndTest.requireHelper(false, ci)
                fail("CI=${ci} without the helper must fail")
            } catch (AssertionError e) {
                assertTrue(e.message, e.message.startsWith("the venvbuild command is not on PATH, and CI=${ci} requires it"))
            }
        }
    }

    @Test
    void skipsForADeveloperWithoutTheHelper() {
        [null, '', 'false', '0'].each { String ci ->
            try {
                BuildVenvEndToEndTest.requireHelper(false, ci)
                fail("CI=${ci} without the helper must skip")
            } catch (AssumptionViolatedException expected) {
                assertTrue(expected.message, expected.message.contains('the venvbuild command is not on PATH'))
            }
        }
    }

    @Test
    void runsWithTheHelper() {
        ['true', null, 'false'].each { String ci ->
            assertTrue("CI=${ci} with the helper runs the tests".toString(), BuildVenvEndToEndTest.requireHelper(true, ci))
        }
    }
}
