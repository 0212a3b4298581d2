using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// A route of kind table on the bus: the provisional fare comes from the fare table the cfg carries
/// (docs/contract.md §3.1), the same lookup the ingest charges with.
/// </summary>
[Trait("Category", "Gtfs")]
public class TableFareDisplayTests
{
    private const string Card = "04A1B2C3D4E5F6";

    private static byte[] Config(bool withTables = true) => ContractJson.Serialize(new DeviceConfig
    {
        Version = 1,
        Device = "BUS0042",
        Role = DeviceRoles.Bus,
        Vehicle = "V0042",
        Routes =
        [
            new RouteDef
            {
                Id = "T1", Kind = RouteKinds.Table, Agency = "kanetsu", FareTable = "kanetsu-od",
                Stops = [new() { Id = "K01", FareZone = "Z1" }, new() { Id = "K02", FareZone = "Z2" }, new() { Id = "K03", FareZone = "Z3" }],
            },
        ],
        FareTables = !withTables ? null :
        [
            new FareTableDef
            {
                Id = "kanetsu-od", Agency = "kanetsu",
                Fares = [new() { From = "Z1", To = "Z1", Fare = 170 }, new() { From = "Z1", To = "Z2", Fare = 250 }, new() { From = "Z1", To = "Z3", Fare = 230 },
                         new() { From = "Z2", To = "Z2", Fare = 170 }, new() { From = "Z2", To = "Z3", Fare = 190 }, new() { From = "Z3", To = "Z3", Fare = 170 }],
            },
        ],
    });

    [Fact]
    public void Alighting_shows_the_table_fare_between_the_zones_ridden_in_either_direction()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        Assert.Null(rig.Cloud.ApplyConfig(Config()));
        rig.Vehicle.Set("T1", "K03");
        rig.Tap(Card, "rear");

        rig.Time.Advance(TimeSpan.FromMinutes(15));
        rig.Vehicle.Set(null, "K02");

        Assert.Equal("運賃 190円 / Fare ¥190", rig.Tap(Card, "front").Display); // Z3 → Z2 by the Z2 → Z3 entry
    }

    [Fact]
    public void An_alight_without_a_boarding_shows_the_highest_table_fare_to_that_stop()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);
        rig.Cloud.ApplyConfig(Config());
        rig.Vehicle.Set("T1", "K03");

        Assert.Equal("運賃 230円 / Fare ¥230", rig.Tap(Card, "front").Display); // from Z1: 230, above Z2's 190
    }

    [Fact]
    public void A_cfg_whose_table_route_lacks_its_table_is_ignored()
    {
        using var site = new TestSite();
        using var storage = new MemoryLedgerStorage();
        using var rig = new PipelineRig(site.Options, storage);

        string? problem = rig.Cloud.ApplyConfig(Config(withTables: false));

        Assert.Equal("routes[T1].fareTable: 'kanetsu-od' is not among the cfg's fareTables", problem);
        Assert.Null(rig.Cloud.Config);
    }
}
