import 'aws-sdk-client-mock-jest';
import '../../local/polyfills';

// Every test must assert something.
beforeEach(() => {
  expect.hasAssertions();
});
