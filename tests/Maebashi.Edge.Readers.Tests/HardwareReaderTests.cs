using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>Readers built for real buses fail as readers (typed, counted, retried) where the bus does not exist.</summary>
[Trait("Category", "Readers")]
public sealed class HardwareReaderTests
{
    [Theory]
    [InlineData(ReaderKind.Mfrc522Spi)]
    [InlineData(ReaderKind.Mfrc522I2c)]
    [InlineData(ReaderKind.Pn532I2c)]
    [InlineData(ReaderKind.Pn532Hsu)]
    public void A_reader_on_a_bus_that_does_not_exist_reports_a_reader_failure_and_keeps_trying(ReaderKind kind)
    {
        var time = new FakeTimeProvider();
        var options = new HardwareReaderOptions { Kind = kind, SpiBus = 97, I2cBus = 97, SerialPort = "/dev/maebashi-no-such-port" };
        using CardReader reader = HardwareReaders.Open(options, null, time);

        List<ReaderEvent> events = Rigs.PollFor(reader, time, TimeSpan.FromSeconds(2));

        Assert.Equal(ReaderEventKind.ReaderFailed, Assert.Single(events).Kind);
        ReaderHealth health = reader.Health;
        Assert.False(health.Working);
        Assert.Contains(kind.Chip() == ReaderChip.Mfrc522 ? "MFRC522" : "PN532", health.LastError, StringComparison.Ordinal);
        Assert.True(health.Failures >= 3, $"failures {health.Failures}");
    }

    [Fact]
    public void A_bus_of_the_wrong_type_for_the_kind_is_refused()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new CardReader(ReaderKind.Pn532Hsu, ReaderBus.I2c(() => throw new InvalidOperationException("not opened"))));
        Assert.Contains("pn532-hsu", e.Message, StringComparison.Ordinal);
    }
}
