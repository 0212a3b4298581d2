using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Mqtt;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>A bus's cfg carries the fare tables its routes of kind table name (docs/contract.md §5.3), and only those.</summary>
[Trait("Category", "Gtfs")]
public class BusConfigFareTableTests
{
    private static CityRegistry Registry()
    {
        JsonObject doc = JsonNode.Parse(File.ReadAllText(SharedFixtures.RegistryPath))!.AsObject();
        doc["agencies"] = JsonNode.Parse("""[{"id":"kanetsu","name":"関越交通"}]""");
        doc["fareTables"] = JsonNode.Parse("""
            [{"id":"kanetsu-fares","agency":"kanetsu","fares":[{"from":"Z1","to":"Z1","fare":170},{"from":"Z1","to":"Z2","fare":210},{"from":"Z2","to":"Z2","fare":170}]},
             {"id":"unused","fares":[{"from":"A","to":"A","fare":100}]}]
            """);
        doc["routes"]!.AsArray().Add(JsonNode.Parse("""
            {"id":"KT1","kind":"table","agency":"kanetsu","fareTable":"kanetsu-fares",
             "stops":[{"id":"1001_02","fareZone":"Z1"},{"id":"3002","fareZone":"Z2"}]}
            """));
        return RegistryLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(doc.ToJsonString())), "test.json");
    }

    [Fact]
    public void A_bus_cfg_carries_the_tables_its_routes_name_and_no_other()
    {
        CityRegistry registry = Registry();

        DeviceConfig cfg = DeviceConfigs.For(registry, registry.FindDevice("BUS0042")!);
        DeviceConfig read = ContractJson.ParseConfig(ContractJson.Serialize(cfg));

        FareTableDef table = Assert.Single(read.FareTables!);
        Assert.Equal("kanetsu-fares", table.Id);
        Assert.Equal(210, OdFareTable.For(table).Fare("Z2", "Z1"));
        Assert.Contains(read.Routes!, r => r.Id == "KT1" && r.FareTable == "kanetsu-fares");
    }

    [Fact]
    public void Without_table_routes_the_cfg_has_no_fare_tables()
    {
        CityRegistry registry = RegistryLoader.Load(SharedFixtures.RegistryPath);

        DeviceConfig cfg = DeviceConfigs.For(registry, registry.FindDevice("BUS0042")!);

        Assert.Null(cfg.FareTables);
        Assert.DoesNotContain("fareTables", Encoding.UTF8.GetString(ContractJson.Serialize(cfg)), StringComparison.Ordinal);
    }
}
