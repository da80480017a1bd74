import static org.junit.Assert.assertEquals
import static org.junit.Assert.assertTrue

import io.venvbuild.NamingRules
import java.security.MessageDigest
import org.junit.Assert
import org.junit.Assume
import org.junit.Before
import org.junit.Test

/**
 * buildVenv drives the real venvbuild helper: every sh script really runs in a temporary workspace,
 * installing a hand-made wheel from a local folder, so no network is needed.
 */
class BuildVenvEndToEndTest extends PipelineTestBase {

    StringBuilder log = new StringBuilder()

    /**
     * Without the helper on PATH a developer's run skips this test; CI (CI set, and not 'false' or '0')
     * must fail instead, so a broken CI setup cannot pass without the end-to-end run.
     */
    static boolean requireHelper(boolean onPath, String ci) {
        if (onPath) {
            return true
        }
        if (ci && !(ci.toLowerCase() in ['false', '0'])) {
            Assert.fail("the venvbuild command is not on PATH, and CI=${ci} requires it: ".toString() +
                'install the helper (python3 -m pip install .) before running the tests')
        }
        Assume.assumeTrue('the venvbuild command is not on PATH', false)
    }

    @Before
    void runShForReal() {
        requireHelper(ShellRunner.onPath('venvbuild'), System.getenv('CI'))
        shHandler = { Map call -> ShellRunner.run(call, log) }
    }

    Map buildVenv(Map args) {
        try {
            return loadStep('buildVenv').call([helperCommand: 'venvbuild'] + args) as Map
        } catch (Throwable e) {
            println(log)
            throw e
        }
    }

    String requirementsWith(String requirement) {
        File wheels = temporaryFolder.newFolder('wheels')
        TinyWheel.write(wheels)
        return "--no-index\n--find-links ${wheels.absolutePath}\n${requirement}\n"
    }

    @Test
    void buildsATinyEnvironment() {
        new File(workspace, 'requirements.txt').text = requirementsWith('tinypkg==1.0')

        Map built = buildVenv(envName: 'tiny-e2e', failOnConflicts: true)

        assertEquals(log.toString(), 'SUCCESS', result())
        assertEquals(['Validate inputs', 'Create venv and install', 'Check dependencies', 'Package', 'Metadata'],
            stageNames())
        Map rules = NamingRules.parse(new File(PROJECT_DIR, 'resources/venvbuild/naming.json').text)
        assertEquals(null, NamingRules.problem(rules, 'venv_version', 'venvVersion', built.venvVersion))
        File artifacts = new File(workspace, 'venvbuild-work/tiny-e2e/default/artifacts')
        File tarball = new File(artifacts, "${built.venvVersion}.tar.gz")
        assertTrue(built.archiveUrl as String, (built.archiveUrl as String).endsWith("/${tarball.name}"))
        assertEquals(MessageDigest.getInstance('SHA-256').digest(tarball.bytes).encodeHex().toString(), built.sha256)
        assertEquals(true, built.conflictFree)
        assertTrue(new File(artifacts, 'installed_packages.txt').text.readLines().contains('tinypkg==1.0'))
        assertEquals("tiny-e2e ${built.venvVersion} (Python ${built.pythonVersion})".toString(),
            binding.getVariable('currentBuild').description)
        assertEquals('venvbuild-work/tiny-e2e/default/artifacts/**, venvbuild-work/tiny-e2e/default/install.log', archived[0].artifacts)
    }

    @Test
    void failsOnAnUnpinnedRequirementWithTheHelpersMessage() {
        new File(workspace, 'requirements.txt').text = requirementsWith('tinypkg')

        String message = errorFrom { buildVenv(envName: 'tiny-e2e') }

        assertEquals('FAILURE', result())
        assertTrue(message, message.startsWith('buildVenv: validate failed with exit code 3 (unpinned requirements): '))
        assertTrue(message, message.endsWith('venvbuild: error: requirements.txt:3: tinypkg (no version specifier)'))
    }
}
