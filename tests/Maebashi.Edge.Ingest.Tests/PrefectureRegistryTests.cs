using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Registry;
using Maebashi.Edge.Ingest.Store.Postgres;
using Npgsql;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The registry at prefecture scale (issue 14 item 6): persons and cards live in PostgreSQL, imported once from the
/// city's export; a worker packs them into a few arrays and finds every card and person as the file's registry does.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "ScaleOut")]
public sealed class PrefectureRegistryTests(PostgresFixture postgres)
{
    private async Task<PostgresDatabase> Database() => await postgres.Server.CreateDatabaseAsync("registry");

    private static PostgresRegistry Registry(PostgresIngestStore store) => store.Registry;

    /// <summary>The sample export as changed by <paramref name="change"/>, written to <paramref name="path"/>: the city's next export.</summary>
    private static async Task WriteExportAsync(string path, Action<JsonNode> change)
    {
        JsonNode doc = JsonNode.Parse(await File.ReadAllTextAsync(SharedFixtures.RegistryPath))!;
        change(doc);
        await File.WriteAllTextAsync(path, doc.ToJsonString());
    }

    private static JsonNode Card(JsonNode export, string uid) => export["cards"]!.AsArray().Single(c => (string)c!["uid"]! == uid)!;

    [Fact]
    public void Packed_persons_and_cards_answer_every_lookup_as_the_loaded_registry_does()
    {
        string path = Path.Combine(TestKit.TempDir(), "mixed.json");
        RegistryGenerator.WriteMixedCards(path, persons: 400, cards: 1_300);
        CityRegistry loaded = RegistryLoader.Load(path);

        // The loaded registry's cards come in no token order: the builder sorts them.
        AssertSamePeople(loaded, CityRegistry.WithPeople(loaded.Document, PackedRegistryPeople.From(loaded.People)));
    }

    [Fact]
    public async Task The_registry_imported_into_PostgreSQL_is_the_file_s_registry_with_its_devices_routes_and_keys()
    {
        PostgresDatabase db = await Database();
        using var store = new PostgresIngestStore(PostgresConnectionUri.Parse(db.Uri));
        RegistryImport import = Registry(store).Import(SharedFixtures.RegistryPath);

        Assert.True(import.Applied);
        Assert.Equal(PostgresRegistry.FileSha256(SharedFixtures.RegistryPath), import.Sha256);
        CityRegistry stored = Registry(store).Load();
        CityRegistry file = RegistryLoader.Load(SharedFixtures.RegistryPath);
        AssertSamePeople(file, stored);
        Assert.Equal(file.RegionKey, stored.RegionKey);
        Assert.Equal(file.LinkKey, stored.LinkKey);
        Assert.Equal(file.Devices.Select(d => (d.Id, d.Role, Convert.ToHexString(d.Key))).Order(), stored.Devices.Select(d => (d.Id, d.Role, Convert.ToHexString(d.Key))).Order());
        Assert.Equal(file.Routes.Select(r => (r.Id, r.Stops.Count)).Order(), stored.Routes.Select(r => (r.Id, r.Stops.Count)).Order());
        Assert.Equal(file.Tariff.DebtLimit, stored.Tariff.DebtLimit);
        Assert.Equal(file.Tariff.DailyCap?.Adult, stored.Tariff.DailyCap?.Adult);

        // No UID reaches the database: cards are their tokens.
        await using var c = new NpgsqlConnection(PostgresConnectionUri.Parse(db.Uri).ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT document FROM registry_import", c);
        string document = System.Text.Encoding.UTF8.GetString((byte[])(await cmd.ExecuteScalarAsync())!);
        Assert.DoesNotContain("04A1B2C3D4E5F6", document, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\"persons\"", document, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_export_is_imported_once_and_a_new_export_replaces_the_old_whole()
    {
        PostgresDatabase db = await Database();
        using var store = new PostgresIngestStore(PostgresConnectionUri.Parse(db.Uri));
        string dir = TestKit.TempDir();
        string path = Path.Combine(dir, "registry.json");
        File.Copy(SharedFixtures.RegistryPath, path);

        // Three workers starting together with the same new file: one imports it.
        using var start = new Barrier(3);
        RegistryImport[] together = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return Registry(store).Import(path);
        })));
        Assert.Single(together, i => i.Applied);
        Assert.All(together, i => Assert.Equal(together[0].Sha256, i.Sha256));

        // The next export: P0001's Type A card reported lost, DEADBEEF gone.
        await WriteExportAsync(path, doc =>
        {
            Card(doc, "04A1B2C3D4E5F6")["status"] = CardStatuses.Lost;
            doc["cards"]!.AsArray().Remove(Card(doc, "DEADBEEF"));
        });

        RegistryImport next = Registry(store).Import(path);
        Assert.True(next.Applied);
        Assert.Equal(together[0].Cards - 1, next.Cards);
        CityRegistry stored = Registry(store).Load();
        Assert.True(stored.FindCard(TestKit.Tok("04A1B2C3D4E5F6"))!.Lost);
        Assert.Null(stored.FindCard(TestKit.Tok("DEADBEEF")));
        AssertSamePeople(RegistryLoader.Load(path), stored);
    }

    [Fact]
    public async Task A_worker_started_with_an_export_the_store_replaced_keeps_the_newer_registry_and_an_operator_may_roll_back()
    {
        PostgresDatabase db = await Database();
        using var store = new PostgresIngestStore(PostgresConnectionUri.Parse(db.Uri));
        string dir = TestKit.TempDir();
        string old = Path.Combine(dir, "registry-old.json");
        string current = Path.Combine(dir, "registry.json");
        File.Copy(SharedFixtures.RegistryPath, old);
        await WriteExportAsync(current, doc => Card(doc, "04A1B2C3D4E5F6")["status"] = CardStatuses.Lost);
        Assert.True(Registry(store).Import(old).Applied);
        Assert.True(Registry(store).Import(current).Applied);

        // A host whose file was not updated restarts its worker: the card reported lost stays lost for every worker.
        RegistryImport stale = Registry(store).Import(old);
        Assert.False(stale.Applied);
        Assert.NotNull(stale.ReplacedAt);
        Assert.Equal(PostgresRegistry.FileSha256(current), stale.Sha256);
        Assert.True(Registry(store).Load().FindCard(TestKit.Tok("04A1B2C3D4E5F6"))!.Lost);

        // An operator's import takes it back on purpose; then the newer export is the replaced one.
        (int exit, string stdout, string stderr) = await EdgeCli.RunAsync(["ingest", "registry", "import", "--store", db.Uri, "--registry", old]);
        Assert.True(exit == 0, stderr);
        Assert.EndsWith("applied=true", stdout.Trim(), StringComparison.Ordinal);
        Assert.False(Registry(store).Load().FindCard(TestKit.Tok("04A1B2C3D4E5F6"))!.Lost);
        Assert.NotNull(Registry(store).Import(current).ReplacedAt);
    }

    [Fact]
    public async Task A_bad_export_is_refused_naming_its_problems_and_the_stored_registry_stays()
    {
        PostgresDatabase db = await Database();
        using var store = new PostgresIngestStore(PostgresConnectionUri.Parse(db.Uri));
        Registry(store).Import(SharedFixtures.RegistryPath);
        string bad = Path.Combine(TestKit.TempDir(), "bad.json");
        await WriteExportAsync(bad, doc => doc["cards"]!.AsArray().Add(new JsonObject { ["uid"] = "ABCD", ["tech"] = "iso14443a", ["pid"] = "P9999" }));

        RegistryException e = Assert.Throws<RegistryException>(() => Registry(store).Import(bad));
        Assert.Contains(e.Problems, p => p.ToString().Contains("unknown pid 'P9999'", StringComparison.Ordinal));
        Assert.Equal(PostgresRegistry.FileSha256(SharedFixtures.RegistryPath), Registry(store).Stored()!.Sha256);
        AssertSamePeople(TestKit.Registry, Registry(store).Load());
    }

    [Fact]
    public async Task A_worker_without_registry_file_runs_with_the_imported_one_and_rates_taps_as_the_file_s_ingest()
    {
        PostgresDatabase db = await Database();
        (int exit, string stdout, string stderr) = await EdgeCli.RunAsync(["ingest", "registry", "import", "--store", db.Uri, "--registry", SharedFixtures.RegistryPath]);
        Assert.True(exit == 0, stderr);
        Assert.Matches("^registry sha256=[0-9a-f]{64} persons=[0-9]+ cards=[0-9]+ applied=true$", stdout.Trim());

        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] batch = TestKit.Batch("BUS0042", TestKit.Board(1, "04A1B2C3D4E5F6", now.AddMinutes(-30), "S01"), TestKit.Alight(2, "04A1B2C3D4E5F6", now.AddMinutes(-10), "S07"));
        var wallets = new List<string>();
        foreach (Action<IngestOptions> configure in new Action<IngestOptions>[] { _ => { }, o => { o.Store = db.Uri; o.RegistryPath = null; } })
        {
            await using RunningIngest ingest = await RunningIngest.StartAsync(configure: configure);
            await using DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort);
            Ack ack = await bus.SendAsync(batch);
            Assert.Equal(2, ack.Results.Count);
            (int status, string body) = await ingest.Get($"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/wallet", RunningIngest.TransportToken);
            Assert.Equal(200, status);
            JsonNode wallet = JsonNode.Parse(body)!;
            wallets.Add($"{wallet["value"]} {wallet["points"]}");
        }

        Assert.NotEqual("1000 0", wallets[0]);
        Assert.Equal(wallets[0], wallets[1]);
    }

    [Fact]
    public async Task A_worker_without_registry_file_on_a_database_without_one_says_how_to_import_it()
    {
        PostgresDatabase db = await Database();
        (int exit, _, string stderr) = await EdgeCli.RunAsync(["ingest", "run", "--store", db.Uri, "--data", TestKit.TempDir(), "--mqtt-port", "0", "--http-port", "0"]);

        Assert.Equal(2, exit);
        Assert.Contains("holds no registry", stderr, StringComparison.Ordinal);
        Assert.Contains("ingest registry import", stderr, StringComparison.Ordinal);
    }

    private static void AssertSamePeople(CityRegistry expected, CityRegistry actual)
    {
        Assert.Equal(expected.PersonCount, actual.PersonCount);
        Assert.Equal(expected.CardCount, actual.CardCount);
        foreach (CardEntry c in expected.Cards)
        {
            CardEntry found = actual.FindCard(c.Token) ?? throw new Xunit.Sdk.XunitException($"card {c.Token} not found");
            Assert.Equal((c.Token, c.Tech, c.Pid, c.Lost, c.Authenticated, c.KeyVersion), (found.Token, found.Tech, found.Pid, found.Lost, found.Authenticated, found.KeyVersion));

            // The token's last character has 4 spare bits: another spelling of the same bytes is not the card's token.
            char last = c.Token[^1];
            string respelled = c.Token[..^1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".IndexOf(last, StringComparison.Ordinal) ^ 1];
            Assert.Null(actual.FindCard(respelled));
        }

        foreach (PersonEntry p in expected.Persons)
        {
            PersonEntry found = actual.FindPerson(p.Pid) ?? throw new Xunit.Sdk.XunitException($"person {p.Pid} not found");
            Assert.Equal((p.BirthDate, p.HasDisability, p.Def.AutoPointPay, p.Def.OpeningValue, p.Def.OpeningPoints), (found.BirthDate, found.HasDisability, found.Def.AutoPointPay, found.Def.OpeningValue, found.Def.OpeningPoints));
            Assert.Equal(expected.CardsOf(p.Pid).Select(c => c.Token).Order(StringComparer.Ordinal), actual.CardsOf(p.Pid).Select(c => c.Token).Order(StringComparer.Ordinal));
        }

        Assert.Null(actual.FindCard(CardToken.Compute(new byte[32], CardTech.Iso14443A, "00000000")));
        Assert.Null(actual.FindCard("not a token"));
        Assert.Null(actual.FindPerson("P-nobody"));
        Assert.Empty(actual.CardsOf("P-nobody"));
    }
}
