import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exporterAddress, serviceDiscoveryBody, targetGroups } from '../../src/http/service-discovery.ts';

describe('http_sd body', () => {
  test('no hosts: []', () => {
    assert.equal(serviceDiscoveryBody([], 'x:9417'), '[]');
  });

  test('one target group per host: the host name, its static labels, and __meta_docker_fleet_* labels', () => {
    const body = serviceDiscoveryBody(
      [
        { name: 'web-01', url: 'tcp://10.0.0.5:2376', labels: { dc: 'eu-1', role: 'web' }, source: 'config' },
        { name: 'bastion', url: 'SSH://docker@10.0.0.9', labels: {}, source: 'docker_context' },
        { name: 'local', url: 'unix:///var/run/docker.sock', labels: {}, source: 'config' },
      ],
      'exporter.example:9417',
    );
    assert.deepEqual(JSON.parse(body), [
      {
        targets: ['web-01'],
        labels: {
          dc: 'eu-1',
          role: 'web',
          __meta_docker_fleet_host: 'web-01',
          __meta_docker_fleet_url: 'tcp://10.0.0.5:2376',
          __meta_docker_fleet_url_scheme: 'tcp',
          __meta_docker_fleet_source: 'config',
          __meta_docker_fleet_exporter_address: 'exporter.example:9417',
          __meta_docker_fleet_label_dc: 'eu-1',
          __meta_docker_fleet_label_role: 'web',
        },
      },
      {
        targets: ['bastion'],
        labels: {
          __meta_docker_fleet_host: 'bastion',
          __meta_docker_fleet_url: 'SSH://docker@10.0.0.9',
          __meta_docker_fleet_url_scheme: 'ssh',
          __meta_docker_fleet_source: 'docker_context',
          __meta_docker_fleet_exporter_address: 'exporter.example:9417',
        },
      },
      {
        targets: ['local'],
        labels: {
          __meta_docker_fleet_host: 'local',
          __meta_docker_fleet_url: 'unix:///var/run/docker.sock',
          __meta_docker_fleet_url_scheme: 'unix',
          __meta_docker_fleet_source: 'config',
          __meta_docker_fleet_exporter_address: 'exporter.example:9417',
        },
      },
    ]);
  });

  test('label values are plain JSON strings, whatever they hold', () => {
    const [group] = targetGroups([{ name: 'h', url: 'unix:///s', labels: { note: 'a "b"\n\u2603' }, source: 'config' }], 'x:1');
    assert.equal(JSON.parse(JSON.stringify(group)).labels.note, 'a "b"\n\u2603');
  });

  test('the exporter address is the Host header when it is an authority, else the socket\'s address', () => {
    assert.equal(exporterAddress('exporter.example:9417', '10.0.0.1', 9417), 'exporter.example:9417');
    assert.equal(exporterAddress('[::1]:9417', '::1', 9417), '[::1]:9417');
    assert.equal(exporterAddress('10.0.0.1', '10.0.0.1', 80), '10.0.0.1');
    assert.equal(exporterAddress(undefined, '10.0.0.1', 9417), '10.0.0.1:9417');
    assert.equal(exporterAddress('evil"}, {"targets', '10.0.0.1', 9417), '10.0.0.1:9417');
    assert.equal(exporterAddress('a b', '::1', 9417), '[::1]:9417');
  });
});
