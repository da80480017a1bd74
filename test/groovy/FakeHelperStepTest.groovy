import org.junit.Before

/** A step test whose `sh` calls are answered by the stand-in helper (FakeHelper), as on an agent. */
abstract class FakeHelperStepTest extends PipelineTestBase {

    FakeHelper fakeHelper = new FakeHelper()

    @Before
    void answerShWithFakeHelper() {
        shHandler = { Map call -> fakeHelper.run(call) }
    }

    String libraryScript(String name) {
        return new File(PROJECT_DIR, "resources/venvbuild/${name}").getText('UTF-8')
    }
}
