import { refusalOf } from '../../../functions/smoke/addresses';

describe('refusalOf', () => {
  it.each([
    ['169.254.169.254', 'a link-local address'],
    ['169.254.170.2', 'a link-local address'],
    ['169.254.169.253', 'a link-local address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['febf:ffff::1', 'a link-local address'],
    ['fd00:ec2::254', 'an address of the AWS metadata range fd00:ec2::/32'],
    ['FD00:0EC2:0000::0123', 'an address of the AWS metadata range fd00:ec2::/32'],
    ['::ffff:169.254.169.254', 'a link-local address'],
    ['::ffff:a9fe:a9fe', 'a link-local address'],
    ['::169.254.169.254', 'a link-local address'],
    ['64:ff9b::169.254.169.254', 'a link-local address'],
    ['0.0.0.0', 'an unspecified address'],
    ['0.1.2.3', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['0:0:0:0:0:0:0:0', 'an unspecified address'],
    ['::ffff:0.0.0.0', 'an unspecified address'],
  ])('refuses %s as %s', (address, what) => {
    expect(refusalOf(address)).toEqual(expect.stringContaining(what));
  });

  it.each([['10.0.3.7'], ['172.16.0.9'], ['192.168.1.20'], ['127.0.0.1'], ['::1'], ['::ffff:10.0.0.1'], ['fd00:ec3::1'], ['fec0::1'], ['2600:1f18::1'], ['52.95.110.1'], ['169.253.255.255'], ['169.255.0.1']])(
    'allows %s',
    (address) => {
      expect(refusalOf(address)).toBeUndefined();
    },
  );
});
