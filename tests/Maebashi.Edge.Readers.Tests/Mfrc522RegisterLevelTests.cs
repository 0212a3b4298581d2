using Maebashi.Edge.Emulation;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Emulation.Mfrc522;
using static Maebashi.Edge.Emulation.Mfrc522.Mfrc522Registers;

namespace Maebashi.Edge.Readers.Tests;

/// <summary>
/// The register file another driver (the firmware's own MFRC522 driver) talks to, without the
/// binding: the sequences a datasheet-following driver issues.
/// </summary>
[Trait("Category", "Readers")]
public sealed class Mfrc522RegisterLevelTests
{
    [Fact]
    public void Crc_coprocessor_computes_crc_a()
    {
        var chip = new Mfrc522Chip(new RfField());
        // ModeReg resets to 0x3F (CRC preset FFFF); drivers select the ISO 14443A preset 6363.
        chip.WriteRegister(Mode, 0x3D);
        chip.WriteRegister(Command, CmdIdle);
        chip.WriteRegister(DivIrq, DivIrqCrc); // clear CRCIRq (Set2 = 0)
        chip.WriteRegister(FifoLevel, 0x80);   // flush
        chip.WriteRegister(FifoData, 0x50);
        chip.WriteRegister(FifoData, 0x00);
        chip.WriteRegister(Command, CmdCalcCrc);

        Assert.NotEqual(0, chip.ReadRegister(DivIrq) & DivIrqCrc);
        // HLTA 50 00 has CRC_A 57 CD (ISO 14443-3).
        Assert.Equal(0x57, chip.ReadRegister(CrcResultLow));
        Assert.Equal(0xCD, chip.ReadRegister(CrcResultHigh));
    }

    [Fact]
    public void Reqa_on_an_empty_field_raises_the_timer_interrupt_only()
    {
        var chip = new Mfrc522Chip(new RfField());
        TurnAntennaOn(chip);
        byte irq = Transceive(chip, [0x26], txLastBits: 7);

        Assert.NotEqual(0, irq & IrqTimer);
        Assert.Equal(0, irq & (IrqRx | IrqIdle));
        Assert.Equal(0, chip.ReadRegister(FifoLevel));
    }

    [Fact]
    public void Reqa_then_anticollision_then_select_at_register_level()
    {
        var field = new RfField();
        field.Place(new TypeACard([0x11, 0x22, 0x33, 0x44], sak: 0x08));
        var chip = new Mfrc522Chip(field);
        TurnAntennaOn(chip);

        Assert.NotEqual(0, Transceive(chip, [0x26], txLastBits: 7) & IrqRx);
        Assert.Equal([0x04, 0x00], ReadFifo(chip));
        Assert.Equal(0, chip.ReadRegister(Control) & 0x07);

        Transceive(chip, [0x93, 0x20]);
        Assert.Equal([0x11, 0x22, 0x33, 0x44, 0x11 ^ 0x22 ^ 0x33 ^ 0x44], ReadFifo(chip));

        byte[] select = Iso14443Crc.AppendCrcA([0x93, 0x70, 0x11, 0x22, 0x33, 0x44, 0x11 ^ 0x22 ^ 0x33 ^ 0x44]);
        Transceive(chip, select);
        byte[] sak = ReadFifo(chip);
        Assert.Equal(0x08, sak[0]);
        Assert.True(Iso14443Crc.CheckCrcA(sak));
    }

    [Fact]
    public void Two_cards_collide_in_anticollision()
    {
        var field = new RfField();
        field.Place(new TypeACard([0x11, 0x22, 0x33, 0x44]));
        field.Place(new TypeACard([0x11, 0x22, 0x33, 0x55]));
        var chip = new Mfrc522Chip(field);
        TurnAntennaOn(chip);
        Transceive(chip, [0x26], txLastBits: 7);
        Transceive(chip, [0x93, 0x20]);

        Assert.NotEqual(0, chip.ReadRegister(Error) & ErrColl);
    }

    [Fact]
    public void Spi_frames_use_the_shifted_address_and_the_same_buffer_for_both_directions()
    {
        var chip = new Mfrc522Chip(new RfField(), version: 0x92);
        using var spi = new Mfrc522SpiDevice(chip);
        byte[] buffer = [(0x37 << 1) | 0x80, 0x00];
        spi.TransferFullDuplex(buffer, buffer);
        Assert.Equal(0x92, buffer[1]);

        // Burst: three FIFO reads in one transfer (address repeated, trailing 0x00).
        chip.WriteRegister(FifoData, 0xA1);
        chip.WriteRegister(FifoData, 0xB2);
        chip.WriteRegister(FifoData, 0xC3);
        byte fifo = (FifoData << 1) | 0x80;
        byte[] burst = [fifo, fifo, fifo, 0x00];
        spi.TransferFullDuplex(burst, burst);
        Assert.Equal([0xA1, 0xB2, 0xC3], burst[1..]);
    }

    [Fact]
    public void Stopped_chip_reads_stuck_and_recovers_on_hard_reset()
    {
        var chip = new Mfrc522Chip(new RfField());
        chip.StopAnswering(softResetRecovers: false);
        Assert.Equal(0x00, chip.ReadRegister(VersionReg));
        chip.WriteRegister(Command, CmdSoftReset);
        Assert.False(chip.IsAnswering);
        chip.HardReset();
        Assert.Equal(0x92, chip.ReadRegister(VersionReg));
    }

    private static void TurnAntennaOn(Mfrc522Chip chip) => chip.WriteRegister(TxControl, (byte)(chip.ReadRegister(TxControl) | 0x03));

    private static byte Transceive(Mfrc522Chip chip, byte[] frame, int txLastBits = 0)
    {
        chip.WriteRegister(Command, CmdIdle);
        chip.WriteRegister(ComIrq, 0x7F); // clear all (Set1 = 0)
        chip.WriteRegister(FifoLevel, 0x80);
        foreach (byte b in frame)
        {
            chip.WriteRegister(FifoData, b);
        }

        chip.WriteRegister(BitFraming, (byte)txLastBits);
        chip.WriteRegister(Command, CmdTransceive);
        chip.WriteRegister(BitFraming, (byte)(0x80 | txLastBits));
        return chip.ReadRegister(ComIrq);
    }

    private static byte[] ReadFifo(Mfrc522Chip chip)
    {
        int count = chip.ReadRegister(FifoLevel);
        byte[] data = new byte[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = chip.ReadRegister(FifoData);
        }

        return data;
    }
}
