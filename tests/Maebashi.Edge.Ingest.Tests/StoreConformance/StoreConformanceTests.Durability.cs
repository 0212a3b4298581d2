using System.Text;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Mqtt;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// What a restart of the ingest keeps: everything committed, the broker's retained messages, the versions devices hold.
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Reopening_the_store_keeps_wallets_trips_check_ins_participants_and_devices()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 12, 0));
        kit.Send("BUS0042",
            TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Board(2, ChildCard, Nov(30, 8, 1), "S01"),
            TestKit.Alight(3, AdultCard, Nov(30, 8, 20), "S05"), TestKit.Alight(4, ChildCard, Nov(30, 8, 21), "S03"));
        kit.Send("BUS0043",
            TestKit.Board(1, DisabilityCard, Nov(30, 10, 0), "M01", "R02", "V0043"), TripEnd(2, Nov(30, 11, 0), "V0043"));
        kit.Send("EVT01", TestKit.EventIn(1, TeenCard, Nov(30, 8, 10), "E-WALK-1130"));
        kit.Send("CLN01", TestKit.Checkin(1, PatientCard, Nov(30, 10, 0), "C01", 1));
        kit.Pipeline.ApplyValueChange(TestKit.Registry.FindCard(TestKit.Tok(NoAutoPayCard))!, 500, "R-0100", ValueChangeKind.TopUp);
        string wallets = kit.Wallets();
        Dictionary<string, DeviceProgress> devices = kit.Store.Devices().ToDictionary(d => d.Device);
        Dictionary<string, IReadOnlyList<WalletEntry>> entries = TestKit.Pids.ToDictionary(p => p, kit.Store.EntriesOf);

        kit = Reopen(kit);

        Assert.Equal(wallets, kit.Wallets());
        Assert.Equal(devices, kit.Store.Devices().ToDictionary(d => d.Device));
        Assert.All(entries, e => Assert.Equal(e.Value, kit.Store.EntriesOf(e.Key)));
        Assert.Equal(TripClose.MissingTapOff, Assert.Single(kit.Store.AllTrips("P0004")).Close);
    }

    [Fact]
    public async Task Retained_messages_survive_reopening_the_store_and_an_empty_payload_removes_one()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        string status42 = Topics.Status("BUS0042"), status43 = Topics.Status("BUS0043");
        kit.Store.PutRetained(new RetainedRecord(status42, Encoding.UTF8.GetBytes("""{"state":"online","backlog":3}""")));
        kit.Store.PutRetained(new RetainedRecord(status43, Encoding.UTF8.GetBytes("""{"state":"online","backlog":0}""")));
        kit.Store.PutRetained(new RetainedRecord(status42, Encoding.UTF8.GetBytes("""{"state":"offline"}""")));
        kit.Store.PutRetained(new RetainedRecord(status43, []));

        kit = Reopen(kit);

        RetainedRecord kept = Assert.Single(kit.Store.RetainedMessages());
        Assert.Equal((status42, """{"state":"offline"}"""), (kept.Topic, Encoding.UTF8.GetString(kept.Payload)));
    }

    [Fact]
    public async Task The_deny_lists_version_rises_with_each_change_and_never_goes_back_after_reopening()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        string lost = TestKit.Tok(AdultCard);
        long started = kit.Pipeline.CurrentDenyList().Version;

        CardStatusOutcome reported = kit.Pipeline.SetCardStatus(lost, CardRunStatus.Lost);
        kit = Reopen(kit);

        Assert.Equal(new CardStatusOutcome(true, started + 1), reported);
        // Each start publishes a version above any a device may hold, and the lost card is still on the list.
        DenyList list = kit.Pipeline.CurrentDenyList();
        Assert.Equal(started + 2, list.Version);
        Assert.Contains(lost, list.Tokens);
        Assert.Equal(CardRunStatus.Lost, kit.Pipeline.CardStatusOf(lost)?.Status);
        Assert.Equal(new CardStatusOutcome(true, started + 3), kit.Pipeline.SetCardStatus(lost, null));
        Assert.DoesNotContain(lost, Reopen(kit).Pipeline.CurrentDenyList().Tokens);
    }

    [Fact]
    public async Task A_devices_configuration_keeps_its_version_after_reopening_and_rises_when_its_content_changes()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        string withStops = Path.Combine(TestKit.TempDir(), "registry.json");
        TransitRegistry.Write(SharedFixtures.RegistryPath, withStops);
        CityRegistry changed = RegistryLoader.Load(withStops);

        long first = VersionOf(DeviceConfigs.Build(TestKit.Registry, kit.Store), "BUS0042");
        kit = Reopen(kit);
        long unchanged = VersionOf(DeviceConfigs.Build(TestKit.Registry, kit.Store), "BUS0042");
        // The bus's routes gain their stops' coordinates; an event site's configuration holds no route.
        IReadOnlyList<(string Topic, byte[] Payload)> afterChange = DeviceConfigs.Build(changed, kit.Store);
        kit = Reopen(kit);

        Assert.Equal(1, first);
        Assert.Equal(1, unchanged);
        Assert.Equal(2, VersionOf(afterChange, "BUS0042"));
        Assert.Equal(1, VersionOf(afterChange, "EVT01"));
        Assert.Equal(2, VersionOf(DeviceConfigs.Build(changed, kit.Store), "BUS0042"));

        static long VersionOf(IReadOnlyList<(string Topic, byte[] Payload)> configs, string device) =>
            ContractJson.ParseConfig(configs.Single(c => c.Topic == Topics.Config(device)).Payload).Version;
    }

    [Fact]
    public async Task Workers_starting_at_once_with_two_registries_never_give_two_configurations_one_version()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        string withStops = Path.Combine(TestKit.TempDir(), "registry.json");
        TransitRegistry.Write(SharedFixtures.RegistryPath, withStops);
        CityRegistry[] registries = [TestKit.Registry, RegistryLoader.Load(withStops)];

        // Four workers, ten starts each, together, alternating between the export before and after a change (a host
        // not yet updated): each start builds every device's configuration under a version read from the store.
        using var together = new Barrier(4);
        (long Version, string Content)[][] built = await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
            Enumerable.Range(0, 10).Select(start =>
            {
                together.SignalAndWait();
                byte[] payload = DeviceConfigs.Build(registries[(worker + start) % 2], kit.Store).Single(c => c.Topic == Topics.Config("BUS0042")).Payload;
                DeviceConfig cfg = ContractJson.ParseConfig(payload);
                long version = cfg.Version;
                cfg.Version = 0;
                return (version, Convert.ToHexString(ContractJson.Serialize(cfg)));
            }).ToArray())));

        // A device that holds version N never gets a different configuration under the same N.
        Assert.All(built.SelectMany(b => b).GroupBy(b => b.Version), v => Assert.Single(v.Select(b => b.Content).Distinct()));
    }
}
